import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { stateKey } from '../i18n/labels.js';
import { followLink, navigate } from '../router.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { Loading, PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import type { IncidentAnswer, IncidentListAnswer, IncidentSummaryWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { OpsContext } from './ops-types.js';

/** Every incident, newest first, and the form to declare one. */
export function IncidentsPage(props: { context: OpsContext }) {
  const { t, dateTime } = useI18n();
  const [incidents, setIncidents] = useState<IncidentSummaryWire[] | null>(null);
  const { error, attempt } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        setIncidents((await api<IncidentListAnswer>('/ops/v1/incidents')).incidents);
      }),
    [attempt],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section>
      <PageHeading lead={t('ops.incidents.lead')}>{t('ops.incidents.title')}</PageHeading>
      <ErrorMessage message={error} />
      {incidents === null ? (
        <Loading />
      ) : incidents.length === 0 ? (
        <p className="muted">{t('ops.incidents.none')}</p>
      ) : (
        <ul className="cards">
          {incidents.map((incident) => (
            <li key={incident.id} className="card">
              <div className="card__body">
                <p className="card__title">
                  <a href={`/ops/console/incidents/${incident.id}`} onClick={followLink}>
                    #{incident.id} · {incident.title}
                  </a>{' '}
                  <span className={`badge badge--state-${incident.state}`}>{t(stateKey(incident.state))}</span>
                </p>
                <p className="muted">
                  {t('ops.incidents.aware', { date: dateTime(incident.became_aware_at) })}
                  {incident.cutoff === null ? '' : ` · ${t('ops.incidents.cutoff', { date: dateTime(incident.cutoff) })}`}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
      <DeclareIncident context={props.context} />
    </section>
  );
}

function DeclareIncident(props: { context: OpsContext }) {
  const { t } = useI18n();
  const [title, setTitle] = useState('');
  const [aware, setAware] = useState('');
  const [cutoff, setCutoff] = useState('');
  const { error, busy, act } = useRequests();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await act(async () => {
      const { incident } = await api<IncidentAnswer>('/ops/v1/incidents', {
        method: 'POST',
        body: { title, became_aware_at: aware, ...(cutoff.trim() === '' ? {} : { cutoff }) },
        csrfToken: props.context.csrf,
      });
      navigate(`/ops/console/incidents/${incident.id}`);
    });
  };
  return (
    <form className="section" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="declare-heading">
      <h2 id="declare-heading">{t('ops.declare.title')}</h2>
      <ErrorMessage message={error} />
      <div className="grid-2">
        <Field label={t('ops.declare.name')} required value={title} onChange={(e) => setTitle(e.target.value)} />
        <Field
          label={t('ops.declare.aware')}
          hint={t('ops.isoHint')}
          required
          value={aware}
          placeholder="2026-05-30T09:00:00Z"
          onChange={(e) => setAware(e.target.value)}
        />
        <Field
          label={t('ops.declare.cutoff')}
          hint={t('ops.isoHint')}
          value={cutoff}
          placeholder="2016-11-01T00:00:00Z"
          onChange={(e) => setCutoff(e.target.value)}
        />
      </div>
      <SubmitButton busy={busy}>{t('ops.declare.submit')}</SubmitButton>
    </form>
  );
}
