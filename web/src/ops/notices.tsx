import { useCallback, useEffect, useState } from 'react';
import { api, isApiError } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage } from '../ui/forms.js';
import type { IncidentDetails, OpsContext } from './ops-types.js';

interface DeliveryCounts {
  total: number;
  sent: number;
  pending: number;
  failed: number;
}

interface NotificationReport {
  totals: DeliveryCounts;
  byPurpose: Record<string, DeliveryCounts>;
  accounts: Array<{ id: number; subdomain: string; sent: number; pending: number; failed: number }>;
  failed: Array<{
    messageId: number;
    purpose: string;
    recipient: string;
    attempts: number;
    error: string | null;
    serverResponse: string | null;
  }>;
}

/** Queuing runs as a job on the server: the answer says it started; the report fills as it runs. */
interface NotifyAnswer {
  notification: { scopeVersion?: number; jobId?: string };
}

/** Notices sent, pending and failed (`/ops/v1/incidents/{id}/notifications`), and sending them. */
export function NoticesSection(props: { context: OpsContext; incident: IncidentDetails }) {
  const { t, number } = useI18n();
  const announce = useAnnounce();
  const [report, setReport] = useState<NotificationReport | null>(null);
  const [users, setUsers] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const url = `/ops/v1/incidents/${props.incident.id}/notifications`;
  const load = useCallback(async () => {
    try {
      setReport(await api<NotificationReport>(`${url}?per_page=50`));
    } catch (caught) {
      setError(isApiError(caught) ? caught.message : t('common.failed'));
    }
  }, [url, t]);
  useEffect(() => {
    void load();
  }, [load]);

  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api<NotifyAnswer>(url, { method: 'POST', body: { users }, csrfToken: props.context.csrf });
      announce(t('ops.notices.queued', { version: answer.notification.scopeVersion ?? '—' }));
      await load();
    } catch (caught) {
      setError(isApiError(caught) ? caught.message : t('common.failed'));
    } finally {
      setBusy(false);
    }
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
              {(['sent', 'pending', 'failed'] as const).map((key) => (
                <div key={key}>
                  <dt>{t(`ops.notices.${key}`)}</dt>
                  <dd>{number(report.totals[key])}</dd>
                </div>
              ))}
            </dl>
            {Object.keys(report.byPurpose).length === 0 ? (
              <p className="muted">{t('ops.notices.none')}</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <caption>{t('ops.notices.byPurpose')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('ops.notices.purpose')}</th>
                      <th scope="col" className="num">
                        {t('ops.notices.sent')}
                      </th>
                      <th scope="col" className="num">
                        {t('ops.notices.pending')}
                      </th>
                      <th scope="col" className="num">
                        {t('ops.notices.failed')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(report.byPurpose).map(([purpose, counts]) => (
                      <tr key={purpose}>
                        <th scope="row">{purpose}</th>
                        <td className="num">{number(counts.sent)}</td>
                        <td className="num">{number(counts.pending)}</td>
                        <td className="num">{number(counts.failed)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {report.accounts.length === 0 ? null : (
              <div className="table-wrap">
                <table>
                  <caption>{t('ops.notices.byAccount')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('ops.live.account')}</th>
                      <th scope="col" className="num">
                        {t('ops.notices.sent')}
                      </th>
                      <th scope="col" className="num">
                        {t('ops.notices.pending')}
                      </th>
                      <th scope="col" className="num">
                        {t('ops.notices.failed')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.accounts.map((account) => (
                      <tr key={account.id}>
                        <th scope="row">{account.subdomain}</th>
                        <td className="num">{number(account.sent)}</td>
                        <td className="num">{number(account.pending)}</td>
                        <td className="num">{number(account.failed)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {report.failed.length === 0 ? null : (
              <>
                <h3>{t('ops.notices.failures')}</h3>
                <ul className="cards">
                  {report.failed.map((failure) => (
                    <li key={failure.messageId} className="card">
                      <div className="card__body">
                        <p className="card__title">
                          {failure.recipient} · {failure.purpose}
                        </p>
                        <p className="muted">{t('ops.notices.attempts', { count: failure.attempts })}</p>
                        {failure.error === null ? null : <p className="mono">{failure.error}</p>}
                        {failure.serverResponse === null ? null : <p className="mono muted">{failure.serverResponse}</p>}
                      </div>
                    </li>
                  ))}
                </ul>
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
        <button type="button" className="button button--primary" onClick={() => void send()} disabled={busy} aria-busy={busy}>
          {busy ? t('common.working') : t('ops.notices.sendButton')}
        </button>
      </section>
    </div>
  );
}
