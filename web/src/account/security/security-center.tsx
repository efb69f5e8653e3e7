import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.js';
import { useI18n } from '../../i18n/i18n.js';
import { categoryKey, stateKey } from '../../i18n/labels.js';
import { ErrorMessage, ProgressBar } from '../../ui/forms.js';
import { Loading, PageHeading } from '../../ui/layout.js';
import { useRequests } from '../../ui/requests.js';
import type { Me } from '../account-types.js';
import { CertificatesSection } from './certificates.js';
import { ActionItemCard, actionItemKey } from './action-item.js';
import { AffectedUsersSection } from './affected-users.js';
import type { AccountIncident, ActionItem, SecurityIncidents } from './security-types.js';
import { SignInEventsSection } from './sign-in-events.js';
import { StaffAccessSection } from './staff-access.js';

/** The account admin's security center: whether the account is affected, what to do, and the evidence for Article 33. */
export function SecurityCenter(props: { me: Me }) {
  const { t } = useI18n();
  const [view, setView] = useState<SecurityIncidents | null>(null);
  const { error, attempt } = useRequests();
  const [certificatesVersion, setCertificatesVersion] = useState(0);
  const load = useCallback(
    () =>
      attempt(async () => {
        setView(await api<SecurityIncidents>('/api/v2/security/incidents.json'));
      }),
    [attempt],
  );
  useEffect(() => {
    if (props.me.role === 'admin') void load();
  }, [load, props.me.role]);

  if (props.me.role !== 'admin') {
    return (
      <section className="panel">
        <PageHeading>{t('security.title')}</PageHeading>
        <p>{t('security.adminsOnly')}</p>
      </section>
    );
  }
  const csrf = props.me.authenticity_token ?? null;
  return (
    <section className="panel">
      <PageHeading lead={t('security.lead')}>{t('security.title')}</PageHeading>
      <ErrorMessage message={error} />
      {view === null ? (
        error === null ? (
          <Loading />
        ) : null
      ) : view.incidents.length === 0 ? (
        <div className="notice notice--ok" role="status">
          {t('security.notAffected')}
        </div>
      ) : (
        view.incidents.map((incident) => (
          <IncidentBlock
            key={incident.id}
            incident={incident}
            csrf={csrf}
            onChanged={() => {
              setCertificatesVersion((version) => version + 1);
              void load();
            }}
          />
        ))
      )}
      <CertificatesSection csrf={csrf} version={certificatesVersion} onChanged={() => void load()} />
      <SignInEventsSection />
      <StaffAccessSection csrf={csrf} />
    </section>
  );
}

function IncidentBlock(props: { incident: AccountIncident; csrf: string | null; onChanged: () => void }) {
  const { t, date, number } = useI18n();
  const { incident } = props;
  // Items done here stay on the list, marked done, after the server drops them from the to-do list.
  const [done, setDone] = useState<ActionItem[]>([]);
  const doneKeys = new Set(done.map(actionItemKey));
  const open = incident.action_items.filter((item) => !doneKeys.has(actionItemKey(item)));
  const headingId = `incident-${incident.id}`;
  return (
    <article className="incident" aria-labelledby={headingId}>
      <div className="banner" role="region" aria-labelledby={headingId}>
        <h2 id={headingId}>{t('security.affected', { title: incident.title })}</h2>
        <p>{t('security.affectedSince', { date: date(incident.became_aware_at), state: t(stateKey(incident.state)) })}</p>
        <p className="banner__label">{t('security.exposed')}</p>
        <ul className="chips">
          {incident.categories.map((category) => (
            <li key={category} className="chip">
              {t(categoryKey(category))}
              {incident.records[category] === undefined ? null : (
                <span className="chip__count"> · {number(incident.records[category])}</span>
              )}
            </li>
          ))}
        </ul>
        <p>{t('security.people', { total: incident.people.total, agents: incident.people.agents, endUsers: incident.people.end_users })}</p>
      </div>

      <h3>{t('security.actionItems')}</h3>
      {open.length === 0 ? <p className="notice notice--ok">{t('security.actionItemsEmpty')}</p> : null}
      {open.length + done.length === 0 ? null : (
        <ul className="cards" aria-label={t('security.actionItems')}>
          {open.map((item) => (
            <ActionItemCard
              key={actionItemKey(item)}
              item={item}
              csrf={props.csrf}
              onDone={(finished) => {
                setDone((previous) => [...previous, finished]);
                props.onChanged();
              }}
            />
          ))}
          {done.map((item) => (
            <ActionItemCard key={actionItemKey(item)} item={item} csrf={props.csrf} onDone={() => undefined} done />
          ))}
        </ul>
      )}

      <h3>{t('security.rotation')}</h3>
      {incident.rotation === null ? (
        <p>{t('security.rotationNone')}</p>
      ) : (
        <div className="rotation">
          <ProgressBar label={t('security.rotation')} done={incident.rotation.changed} total={incident.rotation.targets} tone="ok" />
          <p>
            {t('security.rotationCounts', {
              changed: incident.rotation.changed,
              targets: incident.rotation.targets,
              remaining: incident.rotation.remaining,
            })}
          </p>
        </div>
      )}

      {incident.use_before_rotation === null ? null : <UseBeforeRotationSection use={incident.use_before_rotation} />}

      {incident.actions_taken.length === 0 ? null : (
        <>
          <h3>{t('security.actionsTaken')}</h3>
          <ul className="actions-taken">
            {incident.actions_taken.map((action) => (
              <li key={`${action.done_at} ${action.title}`}>
                <time dateTime={action.done_at}>{date(action.done_at)}</time> · {action.title}
              </li>
            ))}
          </ul>
        </>
      )}

      <AffectedUsersSection incidentId={incident.id} />

      <h3>{t('security.evidence')}</h3>
      <p>{t('security.evidenceLead')}</p>
      <p className="button-row">
        <a
          className="button button--secondary"
          href={`/api/v2/security/incidents/${incident.id}/evidence.json?format=html`}
          target="_blank"
          rel="noopener"
        >
          {t('security.evidenceHtml')}
        </a>
        <a
          className="button button--secondary"
          href={`/api/v2/security/incidents/${incident.id}/evidence.json`}
          download={`article-33-incident-${incident.id}.json`}
        >
          {t('security.evidenceJson')}
        </a>
      </p>
    </article>
  );
}

/** Was the exposed password used? The measured statement, with its period and method, or the sign-ins to investigate. */
function UseBeforeRotationSection(props: { use: NonNullable<AccountIncident['use_before_rotation']> }) {
  const { t, date } = useI18n();
  const { use } = props;
  return (
    <section data-testid="use-before-rotation">
      <h3>{t('security.useBeforeRotation')}</h3>
      <p>
        {use.unfamiliar.sign_ins === 0
          ? t('security.useNone', { signIns: use.sign_ins, users: use.users })
          : t('security.useUnfamiliar', {
              unfamiliar: use.unfamiliar.sign_ins,
              unfamiliarUsers: use.unfamiliar.users,
              signIns: use.sign_ins,
            })}
      </p>
      <p className="muted">
        {t('security.usePeriod', {
          from: date(use.period.from),
          to: date(use.period.to),
          since: use.records_since === null ? '—' : date(use.records_since),
        })}
      </p>
      {use.to_investigate.length === 0 ? null : (
        <table>
          <caption>{t('security.useToInvestigate')}</caption>
          <thead>
            <tr>
              <th>{t('signIns.when')}</th>
              <th>{t('signIns.who')}</th>
              <th>{t('signIns.channel')}</th>
              <th>{t('signIns.from')}</th>
              <th>{t('security.useNew')}</th>
            </tr>
          </thead>
          <tbody>
            {use.to_investigate.map((row) => (
              <tr key={`${row.user_id} ${row.occurred_at}`}>
                <td>
                  <time dateTime={row.occurred_at}>{date(row.occurred_at)}</time>
                </td>
                <td>#{row.user_id}</td>
                <td>{t(`signIns.channel.${row.channel}`)}</td>
                <td>
                  {row.ip ?? '—'} · {row.user_agent ?? '—'}
                </td>
                <td>
                  {row.reasons.map((reason) => t(reason === 'new_network' ? 'security.useNewNetwork' : 'security.useNewClient')).join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
