import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { navigate } from '../router.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage } from '../ui/forms.js';
import { Loading, PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import type { Me, Session } from './account-types.js';

/** A short, readable name for a browser from its user agent. */
function browserOf(userAgent: string | null): string {
  if (userAgent === null) return '—';
  const known = /(Edg|Firefox|Chrome|Chromium|Safari)\/[\d.]+/.exec(userAgent);
  const platform = /\((?:[^;)]*?)(Windows|Mac OS X|Android|iPhone|Linux)[^)]*\)/.exec(userAgent);
  return [known?.[0].replace('Edg', 'Edge'), platform?.[1]].filter(Boolean).join(' · ') || userAgent.slice(0, 60);
}

/** The person's own web sessions, each revocable; revoking the current one signs out. */
export function SessionsPage(props: { me: Me; onSignedOut: () => void }) {
  const { t, dateTime } = useI18n();
  const announce = useAnnounce();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const { error, setError, attempt } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        setSessions((await api<{ sessions: Session[] }>('/api/v2/users/me/sessions.json')).sessions);
      }),
    [attempt],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (session: Session | null) => {
    setError(null);
    await attempt(async () => {
      const path = session === null ? '/api/v2/users/me/sessions.json' : `/api/v2/users/me/sessions/${session.id}.json`;
      await api(path, { method: 'DELETE', csrfToken: props.me.authenticity_token ?? null });
      if (session === null || session.current) {
        props.onSignedOut();
        navigate('/access/sign_in', { replace: true });
        return;
      }
      announce(t('sessions.revoked'));
      await load();
    });
  };

  return (
    <section className="panel">
      <PageHeading lead={t('sessions.lead')}>{t('sessions.title')}</PageHeading>
      <ErrorMessage message={error} />
      {sessions === null ? (
        <Loading />
      ) : (
        <ul className="cards">
          {sessions.map((session) => (
            <li key={session.id} className="card">
              <div className="card__body">
                <p className="card__title">
                  {browserOf(session.user_agent)}{' '}
                  {session.current ? <span className="badge badge--ok">{t('sessions.current')}</span> : null}
                </p>
                <dl className="facts">
                  <div>
                    <dt>{t('sessions.started')}</dt>
                    <dd>{dateTime(session.created_at)}</dd>
                  </div>
                  <div>
                    <dt>{t('sessions.lastSeen')}</dt>
                    <dd>{dateTime(session.last_seen_at)}</dd>
                  </div>
                  <div>
                    <dt>{t('sessions.address')}</dt>
                    <dd>{session.ip ?? '—'}</dd>
                  </div>
                </dl>
              </div>
              <button type="button" className="button button--secondary" onClick={() => void revoke(session)}>
                {session.current ? t('sessions.signOutHere') : t('sessions.revoke')}
                <span className="visually-hidden">
                  {' '}
                  — {browserOf(session.user_agent)}, {dateTime(session.created_at)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <p>
        <button type="button" className="button button--danger" onClick={() => void revoke(null)}>
          {t('sessions.revokeAll')}
        </button>
      </p>
    </section>
  );
}
