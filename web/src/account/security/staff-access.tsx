import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import type { MessageKey } from '../../i18n/en.js';
import { useAnnounce } from '../../ui/announcer.js';
import { ErrorMessage, SubmitButton } from '../../ui/forms.js';
import { useRequests } from '../../ui/requests.js';

interface Grant {
  id: number;
  duration: string;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

interface StaffAccessEvent {
  id: number;
  action: string;
  actor_name: string | null;
  created_at: string;
}

const DURATIONS = ['day', 'week', 'month', 'year', 'indefinite'] as const;

/**
 * Staff access grants (`/api/v2/staff_access`): give the vendor's staff access
 * for a while, revoke it at once, and see what staff read and changed.
 */
export function StaffAccessSection(props: { csrf: string | null }) {
  const { t, dateTime } = useI18n();
  const announce = useAnnounce();
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [events, setEvents] = useState<StaffAccessEvent[]>([]);
  const [duration, setDuration] = useState<(typeof DURATIONS)[number]>('day');
  const { error, setError, busy, attempt, act } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        const [list, log] = await Promise.all([
          api<{ grants: Grant[] }>('/api/v2/staff_access/grants.json'),
          api<{ staff_access_events: StaffAccessEvent[] }>('/api/v2/staff_access/events.json?page[size]=10').catch(() => ({
            staff_access_events: [],
          })),
        ]);
        setGrants(list.grants);
        setEvents(log.staff_access_events);
      }),
    [attempt],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const grant = async (event: FormEvent) => {
    event.preventDefault();
    await act(async () => {
      await api('/api/v2/staff_access/grants.json', { method: 'POST', body: { grant: { duration } }, csrfToken: props.csrf });
      announce(t('staff.granted'));
      await load();
    });
  };
  const revoke = async (target: Grant) => {
    setError(null);
    await attempt(async () => {
      await api(`/api/v2/staff_access/grants/${target.id}.json`, { method: 'DELETE', csrfToken: props.csrf });
      announce(t('staff.revoked'));
      await load();
    });
  };

  return (
    <section className="section" aria-labelledby="staff-access">
      <h2 id="staff-access">{t('staff.title')}</h2>
      <p className="muted">{t('staff.lead')}</p>
      <ErrorMessage message={error} />
      {grants === null ? null : grants.length === 0 ? (
        <p>{t('staff.none')}</p>
      ) : (
        <ul className="cards" data-testid="staff-grants">
          {grants.map((item) => (
            <li key={item.id} className="card">
              <div className="card__body">
                <p className="card__title">
                  {t(`staff.duration.${item.duration}` as MessageKey)}{' '}
                  <span className={`badge badge--grant-${item.status}`}>{t(`staff.status.${item.status}` as MessageKey)}</span>
                </p>
                <p className="muted">
                  {t('staff.given', { date: dateTime(item.created_at) })}
                  {item.expires_at === null
                    ? ` · ${t('staff.untilRevoked')}`
                    : ` · ${t('staff.until', { date: dateTime(item.expires_at) })}`}
                </p>
              </div>
              {item.status === 'active' ? (
                <button type="button" className="button button--secondary" onClick={() => void revoke(item)}>
                  {t('staff.revoke')}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={(event) => void grant(event)}>
        <div className="field">
          <label htmlFor="grant-duration">{t('staff.duration')}</label>
          <select id="grant-duration" value={duration} onChange={(e) => setDuration(e.target.value as (typeof DURATIONS)[number])}>
            {DURATIONS.map((candidate) => (
              <option key={candidate} value={candidate}>
                {t(`staff.duration.${candidate}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <SubmitButton busy={busy} variant="secondary">
          {t('staff.grant')}
        </SubmitButton>
      </form>
      {events.length === 0 ? null : (
        <>
          <h3>{t('staff.events')}</h3>
          <ul className="compact-list">
            {events.map((event) => (
              <li key={event.id}>
                {dateTime(event.created_at)} — {event.actor_name ?? t('staff.someone')}: <code>{event.action}</code>
              </li>
            ))}
          </ul>
          <p>
            <a href="/api/v2/staff_access/events.csv" download>
              {t('staff.exportCsv')}
            </a>
          </p>
        </>
      )}
    </section>
  );
}
