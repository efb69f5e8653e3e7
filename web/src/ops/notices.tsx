import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { useAnnounce } from '../ui/announcer.js';
import { CountTable } from '../ui/count-table.js';
import { ErrorMessage } from '../ui/forms.js';
import { useRequests } from '../ui/requests.js';
import type { IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { OpsContext } from './ops-types.js';
// Type-only imports of the answers' wire schemas: erased from the bundle.
// `GET …/notifications`: the totals, and a page of accounts with their failures. `POST`: queuing runs as a job
// on the server, so the answer says it started; the report fills as it runs.
import type { AccountDeliveryWire, NotificationReportAnswer, NotifyAnswer } from '../../../src/modules/notices/notices-ops.schema.js';

const DELIVERY_STATES = ['sent', 'pending', 'failed'] as const;
const deliveryCounts = (counts: Omit<AccountDeliveryWire, 'id' | 'subdomain'>): number[] => DELIVERY_STATES.map((state) => counts[state]);

/** Notices sent, pending and failed (`/ops/v1/incidents/{id}/notifications`), and sending them. */
export function NoticesSection(props: { context: OpsContext; incident: IncidentWire }) {
  const { t, number } = useI18n();
  const announce = useAnnounce();
  const [report, setReport] = useState<NotificationReportAnswer | null>(null);
  const [users, setUsers] = useState(false);
  const { error, busy, attempt, act } = useRequests();
  const url = `/ops/v1/incidents/${props.incident.id}/notifications`;
  const load = useCallback(
    () =>
      attempt(async () => {
        setReport(await api<NotificationReportAnswer>(`${url}?per_page=50`));
      }),
    [attempt, url],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const send = async (retryFailed: boolean) => {
    await act(async () => {
      const body = retryFailed ? { retry_failed: true } : { users };
      const answer = await api<NotifyAnswer>(url, { method: 'POST', body, csrfToken: props.context.csrf });
      announce(retryFailed ? t('ops.notices.retried') : t('ops.notices.queued', { version: answer.notification.scope_version }));
      await load();
    });
  };

  return (
    <div className="columns">
      <section className="section" aria-labelledby="notices-heading">
        <h2 id="notices-heading">{t('ops.notices.title')}</h2>
        <ErrorMessage message={error} />
        <p>
          <button
            type="button"
            className="button button--quiet"
            onClick={() => void load().then(() => announce(t('ops.notices.refreshed')))}
          >
            {t('ops.notices.refresh')}
          </button>
        </p>
        {report === null ? null : (
          <>
            <dl className="stats" data-testid="notice-totals">
              {DELIVERY_STATES.map((key) => (
                <div key={key}>
                  <dt>{t(`ops.notices.${key}`)}</dt>
                  <dd>{number(report.totals[key])}</dd>
                </div>
              ))}
            </dl>
            {Object.keys(report.by_purpose).length === 0 ? (
              <p className="muted">{t('ops.notices.none')}</p>
            ) : (
              <CountTable
                caption={t('ops.notices.byPurpose')}
                rowHeading={t('ops.notices.purpose')}
                columns={DELIVERY_STATES.map((state) => t(`ops.notices.${state}`))}
                rows={Object.entries(report.by_purpose).map(([purpose, counts]) => ({
                  key: purpose,
                  label: purpose,
                  counts: deliveryCounts(counts),
                }))}
              />
            )}
            {report.accounts.length === 0 ? null : (
              <CountTable
                caption={t('ops.notices.byAccount')}
                rowHeading={t('ops.live.account')}
                columns={DELIVERY_STATES.map((state) => t(`ops.notices.${state}`))}
                rows={report.accounts.map((account) => ({ key: account.id, label: account.subdomain, counts: deliveryCounts(account) }))}
              />
            )}
            {report.failed.length === 0 ? null : (
              <>
                <h3>{t('ops.notices.failures')}</h3>
                <ul className="cards">
                  {report.failed.map((failure) => (
                    <li key={failure.message_id} className="card">
                      <div className="card__body">
                        <p className="card__title">
                          {failure.recipient} · {failure.purpose}
                        </p>
                        <p className="muted">{t('ops.notices.attempts', { count: failure.attempts })}</p>
                        {failure.error === null ? null : <p className="mono">{failure.error}</p>}
                        {failure.server_response === null ? null : <p className="mono muted">{failure.server_response}</p>}
                      </div>
                    </li>
                  ))}
                </ul>
                <p className="muted">{t('ops.notices.retryLead')}</p>
                <button type="button" className="button" onClick={() => void send(true)} disabled={busy} aria-busy={busy}>
                  {t('ops.notices.retryButton')}
                </button>
              </>
            )}
          </>
        )}
      </section>
      <section className="section" aria-labelledby="send-heading">
        <h2 id="send-heading">{t('ops.notices.send')}</h2>
        <p className="muted">{t('ops.notices.sendLead')}</p>
        <div className="field field--check">
          <input id="notify-users" type="checkbox" checked={users} onChange={(e) => setUsers(e.target.checked)} />
          <label htmlFor="notify-users">{t('ops.notices.users')}</label>
        </div>
        <button type="button" className="button button--primary" onClick={() => void send(false)} disabled={busy} aria-busy={busy}>
          {busy ? t('common.working') : t('ops.notices.sendButton')}
        </button>
      </section>
    </div>
  );
}
