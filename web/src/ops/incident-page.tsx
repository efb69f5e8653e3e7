import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/en.js';
import { followLink } from '../router.js';
import { ErrorMessage } from '../ui/forms.js';
import { Loading, PageHeading } from '../ui/layout.js';
import { useRequests } from '../ui/requests.js';
import { AdvisorySection } from './advisory.js';
import { CampaignsSection } from './campaigns.js';
import { stateKey } from '../i18n/labels.js';
import { IncidentOverview } from './incident-overview.js';
import { NoticesSection } from './notices.js';
import type { IncidentAnswer, IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { OpsContext } from './ops-types.js';
import { ScopeSection } from './scope.js';

const SECTIONS: Array<{ id: string; label: MessageKey; suffix: string }> = [
  { id: 'overview', label: 'ops.tab.overview', suffix: '' },
  { id: 'scope', label: 'ops.tab.scope', suffix: '/scope' },
  { id: 'campaigns', label: 'ops.tab.campaigns', suffix: '/campaigns' },
  { id: 'notices', label: 'ops.tab.notices', suffix: '/notices' },
  { id: 'advisory', label: 'ops.tab.advisory', suffix: '/advisory' },
];

/** One incident: its state, and its sections (overview, scope, campaigns, notices, advisory) as sub-pages. */
export function IncidentPage(props: { context: OpsContext; incidentId: number; section: string }) {
  const { t } = useI18n();
  const [incident, setIncident] = useState<IncidentWire | null>(null);
  const { error, attempt } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        setIncident((await api<IncidentAnswer>(`/ops/v1/incidents/${props.incidentId}`)).incident);
      }),
    [attempt, props.incidentId],
  );
  useEffect(() => {
    void load();
  }, [load]);
  if (incident === null) return error === null ? <Loading /> : <ErrorMessage message={error} />;
  const base = `/ops/console/incidents/${incident.id}`;
  const section = SECTIONS.find((candidate) => candidate.id === props.section) ?? SECTIONS[0];
  const title = `#${incident.id} · ${incident.title}`;
  return (
    <section>
      <p className="breadcrumb">
        <a href="/ops/console/" onClick={followLink}>
          {t('ops.nav.incidents')}
        </a>
      </p>
      <PageHeading lead={<span className={`badge badge--state-${incident.state}`}>{t(stateKey(incident.state))}</span>}>
        {section?.id === 'overview' ? title : `${t(section?.label ?? 'ops.tab.overview')} — ${title}`}
      </PageHeading>
      <nav aria-label={t('ops.tab.label')} className="tabs">
        <ul>
          {SECTIONS.map((candidate) => (
            <li key={candidate.id}>
              <a href={`${base}${candidate.suffix}`} onClick={followLink} aria-current={candidate.id === section?.id ? 'page' : undefined}>
                {t(candidate.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {section?.id === 'scope' ? (
        <ScopeSection context={props.context} incident={incident} onChanged={() => void load()} />
      ) : section?.id === 'campaigns' ? (
        <CampaignsSection context={props.context} incident={incident} />
      ) : section?.id === 'notices' ? (
        <NoticesSection context={props.context} incident={incident} />
      ) : section?.id === 'advisory' ? (
        <AdvisorySection context={props.context} incident={incident} />
      ) : (
        <IncidentOverview context={props.context} incident={incident} onChanged={setIncident} />
      )}
    </section>
  );
}
