import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/en.js';
import { campaignStateKey } from '../i18n/labels.js';
import { followLink, navigate } from '../router.js';
import { useAnnounce } from '../ui/announcer.js';
import { ErrorMessage, Field, ProgressBar, SubmitButton } from '../ui/forms.js';
import { failureMessage, useRequests } from '../ui/requests.js';
import type { CampaignWire, DraftedCampaignWire } from '../../../src/modules/incidents/campaigns-ops.schema.js';
import type { IncidentWire } from '../../../src/modules/incidents/incidents-ops.schema.js';
import type { OpsContext } from './ops-types.js';
import { EXAMPLE_SELECTOR, SelectorEditor, type SelectorStatus } from './selector-editor.js';

/** The batch orders and API password revocations a campaign may ask for (the ops API's enums). */
const ORDERS = ['by_account', 'weakest_first'] as const satisfies readonly CampaignWire['order'][];
const API_REVOCATIONS = ['none', 'critical', 'critical_and_high'] as const satisfies readonly CampaignWire['revoke_api_passwords'][];

/** The incident's rotation campaigns, and a new one: draft with its dry run, then run. */
export function CampaignsSection(props: { context: OpsContext; incident: IncidentWire }) {
  const { t, number, dateTime } = useI18n();
  const [campaigns, setCampaigns] = useState<CampaignWire[] | null>(null);
  const { error, attempt } = useRequests();
  const load = useCallback(
    () =>
      attempt(async () => {
        setCampaigns((await api<{ campaigns: CampaignWire[] }>(`/ops/v1/incidents/${props.incident.id}/campaigns`)).campaigns);
      }),
    [attempt, props.incident.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="columns">
      <DraftCampaign context={props.context} incident={props.incident} onDrafted={() => void load()} />
      <section className="section" aria-labelledby="campaigns-heading">
        <h2 id="campaigns-heading">{t('ops.campaigns.title')}</h2>
        <ErrorMessage message={error} />
        {campaigns === null ? null : campaigns.length === 0 ? (
          <p className="muted">{t('ops.campaigns.none')}</p>
        ) : (
          <ul className="cards">
            {campaigns.map((campaign) => (
              <li key={campaign.id} className="card">
                <div className="card__body">
                  <p className="card__title">
                    <a href={`/ops/console/campaigns/${campaign.id}`} onClick={followLink}>
                      {t('ops.campaigns.name', { id: campaign.id })}
                    </a>{' '}
                    <span className={`badge badge--campaign-${campaign.state}`}>{t(campaignStateKey(campaign.state))}</span>
                  </p>
                  {campaign.start_at === null || campaign.state !== 'scheduled' ? null : (
                    <p className="muted">{t('ops.campaigns.startsAt', { at: dateTime(campaign.start_at) })}</p>
                  )}
                  {campaign.state === 'draft' ? null : (
                    <>
                      <ProgressBar
                        label={t('ops.campaigns.name', { id: campaign.id })}
                        done={campaign.progress.done}
                        total={campaign.progress.total}
                      />
                      <p className="muted">
                        {t('ops.live.flagged', { done: number(campaign.progress.done), total: number(campaign.progress.total) })}
                      </p>
                    </>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function DraftCampaign(props: { context: OpsContext; incident: IncidentWire; onDrafted: () => void }) {
  const { t, number } = useI18n();
  const announce = useAnnounce();
  const [selectorText, setSelectorText] = useState(EXAMPLE_SELECTOR);
  const [status, setStatus] = useState<SelectorStatus>({ state: 'empty' });
  const [revokeSessions, setRevokeSessions] = useState(true);
  const [batchSize, setBatchSize] = useState('10000');
  const [order, setOrder] = useState<(typeof ORDERS)[number]>('by_account');
  const [revokeApi, setRevokeApi] = useState<(typeof API_REVOCATIONS)[number]>('none');
  const [startAt, setStartAt] = useState('');
  const [draft, setDraft] = useState<DraftedCampaignWire | null>(null);
  const [busy, setBusy] = useState<'draft' | 'start' | 'schedule' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const closed = props.incident.state === 'closed';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const size = Number(batchSize);
    if (status.state !== 'valid' || !Number.isInteger(size) || size < 1) {
      setError(status.state !== 'valid' ? t('ops.exposures.fixSelector') : t('ops.campaigns.badBatch'));
      return;
    }
    setBusy('draft');
    setError(null);
    try {
      const { campaign } = await api<{ campaign: DraftedCampaignWire }>(`/ops/v1/incidents/${props.incident.id}/campaigns`, {
        method: 'POST',
        body: { selector: status.selector, revoke_sessions: revokeSessions, batch_size: size, order, revoke_api_passwords: revokeApi },
        csrfToken: props.context.csrf,
      });
      setDraft(campaign);
      announce(t('ops.campaigns.drafted', { targets: campaign.dry_run.targets }));
      props.onDrafted();
    } catch (caught) {
      setError(failureMessage(caught, t('common.failed')));
    } finally {
      setBusy(null);
    }
  };
  const start = async () => {
    if (draft === null) return;
    setBusy('start');
    setError(null);
    try {
      await api(`/ops/v1/campaigns/${draft.id}/start`, { method: 'POST', csrfToken: props.context.csrf });
      navigate(`/ops/console/campaigns/${draft.id}`);
    } catch (caught) {
      setError(failureMessage(caught, t('common.failed')));
      setBusy(null);
    }
  };

  const schedule = async () => {
    if (draft === null) return;
    // The field is a UTC wall-clock time (datetime-local), as the console shows every time.
    const at = startAt === '' ? Number.NaN : Date.parse(`${startAt}:00Z`);
    if (Number.isNaN(at)) {
      setError(t('ops.campaigns.badStartAt'));
      return;
    }
    setBusy('schedule');
    setError(null);
    try {
      await api(`/ops/v1/campaigns/${draft.id}/schedule`, {
        method: 'POST',
        body: { start_at: new Date(at).toISOString() },
        csrfToken: props.context.csrf,
      });
      navigate(`/ops/console/campaigns/${draft.id}`);
    } catch (caught) {
      setError(failureMessage(caught, t('common.failed')));
      setBusy(null);
    }
  };

  if (closed) return <p className="muted">{t('ops.campaigns.closed')}</p>;
  return (
    <section className="section" aria-labelledby="draft-heading">
      <h2 id="draft-heading">{t('ops.campaigns.new')}</h2>
      <ErrorMessage message={error} />
      <form onSubmit={(event) => void submit(event)} noValidate>
        <SelectorEditor
          context={props.context}
          label={t('ops.campaigns.selector')}
          value={selectorText}
          onChange={setSelectorText}
          onStatus={setStatus}
        />
        <div className="field field--check">
          <input id="revoke-sessions" type="checkbox" checked={revokeSessions} onChange={(e) => setRevokeSessions(e.target.checked)} />
          <label htmlFor="revoke-sessions">{t('ops.campaigns.revokeSessions')}</label>
        </div>
        <Field label={t('ops.campaigns.batchSize')} inputMode="numeric" value={batchSize} onChange={(e) => setBatchSize(e.target.value)} />
        <div className="field">
          <label htmlFor="campaign-order">{t('ops.campaigns.order')}</label>
          <select id="campaign-order" value={order} onChange={(e) => setOrder(e.target.value as (typeof ORDERS)[number])}>
            {ORDERS.map((value) => (
              <option key={value} value={value}>
                {t(`ops.campaigns.order.${value}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="campaign-revoke-api">{t('ops.campaigns.revokeApi')}</label>
          <select
            id="campaign-revoke-api"
            value={revokeApi}
            aria-describedby="campaign-revoke-api-hint"
            onChange={(e) => setRevokeApi(e.target.value as (typeof API_REVOCATIONS)[number])}
          >
            {API_REVOCATIONS.map((value) => (
              <option key={value} value={value}>
                {t(`ops.campaigns.revokeApi.${value}`)}
              </option>
            ))}
          </select>
          <p className="muted" id="campaign-revoke-api-hint">
            {t('ops.campaigns.revokeApiHint')}
          </p>
        </div>
        <SubmitButton busy={busy === 'draft'} variant="secondary">
          {t('ops.campaigns.dryRun')}
        </SubmitButton>
      </form>
      {draft === null ? null : (
        <div className="dry-run" aria-labelledby="dry-run-heading">
          <h3 id="dry-run-heading">{t('ops.campaigns.dryRunTitle', { id: draft.id })}</h3>
          <p className="big-number" data-testid="dry-run-targets">
            {t('ops.campaigns.targets', { count: number(draft.dry_run.targets) })}
          </p>
          <dl className="facts">
            {Object.entries(draft.dry_run.exempt).map(([reason, count]) => (
              <div key={reason}>
                <dt>{t(`exempt.${reason}` as MessageKey)}</dt>
                <dd>{number(count)}</dd>
              </div>
            ))}
          </dl>
          <dl className="facts" aria-label={t('ops.campaigns.byTier')} data-testid="dry-run-tiers">
            {(['critical', 'high', 'moderate'] as const).map((tier) => (
              <div key={tier}>
                <dt>{t(`tier.${tier}`)}</dt>
                <dd>{number(draft.dry_run.by_tier[tier])}</dd>
              </div>
            ))}
          </dl>
          <p className="muted">
            {Object.entries(draft.dry_run.by_role)
              .map(([role, count]) => `${role}: ${number(count)}`)
              .join(' · ')}
          </p>
          <button
            type="button"
            className="button button--primary"
            onClick={() => void start()}
            disabled={busy !== null}
            aria-busy={busy === 'start'}
          >
            {t('ops.campaigns.run', { count: number(draft.dry_run.targets) })}
          </button>
          <div className="schedule">
            <Field label={t('ops.campaigns.startAt')} type="datetime-local" value={startAt} onChange={(e) => setStartAt(e.target.value)} />
            <button
              type="button"
              className="button button--secondary"
              onClick={() => void schedule()}
              disabled={busy !== null}
              aria-busy={busy === 'schedule'}
            >
              {t('ops.campaigns.schedule', { count: number(draft.dry_run.targets) })}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
