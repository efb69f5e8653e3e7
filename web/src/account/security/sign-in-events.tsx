import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import type { MessageKey } from '../../i18n/en.js';
import { ErrorMessage } from '../../ui/forms.js';
import { useRequests } from '../../ui/requests.js';
// Type-only import of the answer's wire schema: erased from the bundle, it keeps the
// console reading exactly what `/api/v2/security/sign_in_events` sends.
import type { SignInEventsPageWire, SignInEventWire } from '../../../../src/modules/auth/sign-in-events/sign-in-events.schema.js';

const CHANNELS = ['web', 'password_basic', 'api_token', 'oauth_token', 'jwt_sso', 'saml_sso'] as const;
const PAGE_SIZE = 25;

/**
 * The account's sign-in activity (`/api/v2/security/sign_in_events`): every
 * authentication attempt, newest first, filtered by outcome and channel,
 * a page at a time.
 */
export function SignInEventsSection() {
  const { t, dateTime, number } = useI18n();
  const [events, setEvents] = useState<SignInEventWire[] | null>(null);
  const [after, setAfter] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<'' | 'succeeded' | 'failed'>('');
  const [channel, setChannel] = useState<'' | (typeof CHANNELS)[number]>('');
  const { error, attempt } = useRequests();

  const query = useCallback(
    (cursor: string | null) => {
      const params = new URLSearchParams({ 'page[size]': String(PAGE_SIZE) });
      if (outcome !== '') params.set('outcome', outcome);
      if (channel !== '') params.set('channel', channel);
      if (cursor !== null) params.set('page[after]', cursor);
      return api<SignInEventsPageWire>(`/api/v2/security/sign_in_events.json?${params.toString()}`);
    },
    [outcome, channel],
  );
  const load = useCallback(
    () =>
      attempt(async () => {
        const page = await query(null);
        setEvents(page.sign_in_events);
        setAfter(page.meta.after_cursor);
      }),
    [attempt, query],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const more = () =>
    attempt(async () => {
      const page = await query(after);
      setEvents((previous) => [...(previous ?? []), ...page.sign_in_events]);
      setAfter(page.meta.after_cursor);
    });

  return (
    <section className="section" aria-labelledby="sign-in-events">
      <h2 id="sign-in-events">{t('signIns.title')}</h2>
      <p className="muted">{t('signIns.lead')}</p>
      <div className="inline-form">
        <div className="field">
          <label htmlFor="sign-ins-outcome">{t('signIns.outcome')}</label>
          <select id="sign-ins-outcome" value={outcome} onChange={(e) => setOutcome(e.target.value as typeof outcome)}>
            <option value="">{t('signIns.any')}</option>
            <option value="succeeded">{t('signIns.outcome.succeeded')}</option>
            <option value="failed">{t('signIns.outcome.failed')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="sign-ins-channel">{t('signIns.channel')}</label>
          <select id="sign-ins-channel" value={channel} onChange={(e) => setChannel(e.target.value as typeof channel)}>
            <option value="">{t('signIns.any')}</option>
            {CHANNELS.map((name) => (
              <option key={name} value={name}>
                {t(`signIns.channel.${name}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorMessage message={error} />
      {events === null ? null : events.length === 0 ? (
        <p>{t('signIns.none')}</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="sign-in-events">
            <caption>{t('signIns.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('signIns.when')}</th>
                <th scope="col">{t('signIns.channel')}</th>
                <th scope="col">{t('signIns.outcome')}</th>
                <th scope="col">{t('signIns.who')}</th>
                <th scope="col">{t('signIns.from')}</th>
                <th scope="col" className="num">
                  {t('signIns.attempts')}
                </th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td>
                    <time dateTime={event.occurred_at}>{dateTime(event.occurred_at)}</time>
                  </td>
                  <td>{t(`signIns.channel.${event.channel}` as MessageKey)}</td>
                  <td>
                    <span className={event.outcome === 'succeeded' ? 'badge badge--ok' : 'badge badge--revoked'}>
                      {t(`signIns.outcome.${event.outcome}` as MessageKey)}
                    </span>
                    {event.reason === null ? null : <code className="muted"> {event.reason}</code>}
                  </td>
                  <td>{event.identifier ?? (event.user_id === null ? '—' : `#${event.user_id}`)}</td>
                  <td>
                    {event.ip ?? '—'}
                    {event.user_agent === null ? null : <div className="muted">{event.user_agent}</div>}
                  </td>
                  <td className="num">{number(event.attempts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {after === null ? null : (
        <button type="button" className="button button--secondary" onClick={() => void more()}>
          {t('signIns.more')}
        </button>
      )}
    </section>
  );
}
