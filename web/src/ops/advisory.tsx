import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage, Field, SubmitButton } from '../ui/forms.js';
import { useRequests } from '../ui/requests.js';
import { ADVISORY_LOCALES, type Advisory, type AdvisoryAnswer, type AdvisoryListAnswer } from './advisory-types.js';
import { AdvisoryEditor } from './advisory-editor.js';
import type { IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { OpsContext } from './ops-types.js';

/** The incident's public advisory: create it, edit and preview each locale, publish, append updates. */
export function AdvisorySection(props: { context: OpsContext; incident: IncidentWire }) {
  const [advisory, setAdvisory] = useState<Advisory | null | undefined>(undefined);
  const { error, attempt } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        const { advisories } = await api<AdvisoryListAnswer>('/ops/v1/advisories');
        const mine = advisories.find((candidate) => candidate.incident_id === props.incident.id);
        setAdvisory(mine === undefined ? null : (await api<AdvisoryAnswer>(`/ops/v1/advisories/${mine.id}`)).advisory);
      }),
    [attempt, props.incident.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  if (error !== null) return <ErrorMessage message={error} />;
  if (advisory === undefined) return null;
  if (advisory === null) return <CreateAdvisory context={props.context} incident={props.incident} onCreated={() => void load()} />;
  return <AdvisoryEditor context={props.context} advisory={advisory} onChanged={() => void load()} />;
}

function CreateAdvisory(props: { context: OpsContext; incident: IncidentWire; onCreated: () => void }) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [title, setTitle] = useState(props.incident.title);
  const [body, setBody] = useState('');
  const [locale, setLocale] = useState<string>('en');
  const { error, busy, act } = useRequests();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await act(async () => {
      await api('/ops/v1/advisories', {
        method: 'POST',
        body: { title, body, source_locale: locale, incident_id: props.incident.id },
        csrfToken: props.context.csrf,
      });
      announce(t('ops.advisory.created'));
      props.onCreated();
    });
  };
  return (
    <form className="section" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="create-advisory">
      <h2 id="create-advisory">{t('ops.advisory.create')}</h2>
      <p className="muted">{t('ops.advisory.createLead')}</p>
      <ErrorMessage message={error} />
      <div className="field">
        <label htmlFor="advisory-source-locale">{t('ops.advisory.sourceLocale')}</label>
        <select id="advisory-source-locale" value={locale} onChange={(e) => setLocale(e.target.value)}>
          {ADVISORY_LOCALES.map((candidate) => (
            <option key={candidate} value={candidate}>
              {candidate === 'en' ? 'English' : 'Français'}
            </option>
          ))}
        </select>
      </div>
      <Field label={t('ops.advisory.title')} value={title} onChange={(e) => setTitle(e.target.value)} />
      <div className="field">
        <label htmlFor="advisory-body">{t('ops.advisory.body')}</label>
        <textarea id="advisory-body" className="code" rows={10} value={body} onChange={(e) => setBody(e.target.value)} />
      </div>
      <SubmitButton busy={busy}>{t('ops.advisory.createSubmit')}</SubmitButton>
    </form>
  );
}
