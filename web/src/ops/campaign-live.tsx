import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n/i18n.js';
import { campaignStateKey } from '../i18n/labels.js';
import { followLink } from '../router.js';
import { useAnnounce } from '../ui/announcer.js';
import { CountTable } from '../ui/count-table.js';
import { ErrorMessage, ProgressBar } from '../ui/forms.js';
import { PageHeading } from '../ui/layout.js';
import { failureMessage } from '../ui/requests.js';
import { CompletionChart } from './chart.js';
import type { CampaignWire, CompletionWire } from '../../../src/modules/incidents/campaigns-ops.schema.js';
import type {
  CampaignEventName,
  CampaignEventWire,
  CampaignSeriesWire,
  CompletionPointWire,
} from '../../../src/modules/web-console/ops-console.schema.js';
import type { OpsContext } from './ops-types.js';

const ANNOUNCED = {
  start: 'ops.live.started',
  pause: 'ops.live.paused',
  resume: 'ops.live.resumed',
  cancel: 'ops.live.cancelled',
} as const;

/** An event's `data`, in its wire shape. */
const eventData = <E extends CampaignEventName>(message: Event): CampaignEventWire<E> =>
  JSON.parse((message as MessageEvent<string>).data) as CampaignEventWire<E>;

const percentOf = (done: number, total: number): number => (total === 0 ? 100 : Math.floor((done / total) * 100));

/**
 * One campaign, live: progress and completion arrive as server-sent events
 * (the browser's EventSource reconnects by itself; nothing polls), with run,
 * pause, resume and cancel, and the chart of completion over time.
 */
export function CampaignLive(props: { context: OpsContext; campaignId: number }) {
  const { t, number, dateTime } = useI18n();
  const announce = useAnnounce();
  const [campaign, setCampaign] = useState<CampaignWire | null>(null);
  const [completion, setCompletion] = useState<CompletionWire | null>(null);
  const [points, setPoints] = useState<CompletionPointWire[]>([]);
  const [milestone, setMilestone] = useState('');
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const lastMilestone = useRef(-1);
  const changedRef = useRef(0);

  const loadSeries = useCallback(async () => {
    try {
      const { series } = await api<{ series: CampaignSeriesWire }>(`/ops/v1/campaigns/${props.campaignId}/series`);
      setPoints(series.points);
    } catch {
      // The chart fills from the live events anyway.
    }
  }, [props.campaignId]);

  useEffect(() => {
    void loadSeries();
    const source = new EventSource(`/ops/v1/campaigns/${props.campaignId}/events`);
    const take = (view: CampaignWire, at: string | null) => {
      setCampaign(view);
      if (at !== null && view.started_at !== null) {
        setPoints((previous) => [...previous, { at, flagged: view.progress.done, changed: changedRef.current }]);
      }
      const percent = percentOf(view.progress.done, view.progress.total);
      const step = view.state === 'done' ? 100 : Math.floor(percent / 25) * 25;
      if (view.state !== 'draft' && step !== lastMilestone.current) {
        lastMilestone.current = step;
        setMilestone(t('ops.live.milestone', { percent: step, done: view.progress.done, total: view.progress.total }));
      }
    };
    source.addEventListener('open', () => setConnected(true));
    source.addEventListener('error', () => setConnected(false));
    source.addEventListener('snapshot', (event) => {
      const data = eventData<'snapshot'>(event);
      changedRef.current = data.completion.changed;
      setCompletion(data.completion);
      take(data.campaign, null);
    });
    source.addEventListener('progress', (event) => {
      const data = eventData<'progress'>(event);
      take(data.campaign, data.at);
    });
    source.addEventListener('completion', (event) => {
      const data = eventData<'completion'>(event);
      changedRef.current = data.changed;
      setCompletion(data);
    });
    source.addEventListener('signed_out', () => {
      source.close();
      setError(t('ops.live.signedOut'));
    });
    return () => source.close();
  }, [props.campaignId, loadSeries, t]);

  const act = async (verb: 'start' | 'pause' | 'resume' | 'cancel') => {
    setBusy(verb);
    setError(null);
    setConfirmCancel(false);
    try {
      const { campaign: view } = await api<{ campaign: CampaignWire }>(`/ops/v1/campaigns/${props.campaignId}/${verb}`, {
        method: 'POST',
        csrfToken: props.context.csrf,
      });
      setCampaign(view);
      announce(t(ANNOUNCED[verb]));
      if (verb === 'start') void loadSeries();
    } catch (caught) {
      setError(failureMessage(caught, t('common.failed')));
    } finally {
      setBusy(null);
    }
  };

  const title = t('ops.campaigns.name', { id: props.campaignId });
  if (campaign === null) {
    return (
      <section>
        <PageHeading>{title}</PageHeading>
        <ErrorMessage message={error} />
        <p role="status">{t('ops.live.connecting')}</p>
      </section>
    );
  }
  const percent = percentOf(campaign.progress.done, campaign.progress.total);
  const button = (verb: 'start' | 'pause' | 'resume', label: string, variant = 'primary') => (
    <button
      type="button"
      className={`button button--${variant}`}
      onClick={() => void act(verb)}
      disabled={busy !== null}
      aria-busy={busy === verb}
    >
      {label}
    </button>
  );
  return (
    <section>
      <p className="breadcrumb">
        <a href={`/ops/console/incidents/${campaign.incident_id}/campaigns`} onClick={followLink}>
          {t('ops.live.back', { id: campaign.incident_id })}
        </a>
      </p>
      <PageHeading
        lead={
          <span className={`badge badge--campaign-${campaign.state}`} data-testid="campaign-state">
            {t(campaignStateKey(campaign.state))}
          </span>
        }
      >
        {title}
      </PageHeading>
      <ErrorMessage message={error} />
      <div className="columns">
        <div className="section">
          <h2>{t('ops.live.progress')}</h2>
          <p className="big-number" data-testid="campaign-percent">
            {percent}%
          </p>
          <ProgressBar label={t('ops.live.progress')} done={campaign.progress.done} total={campaign.progress.total} />
          <p>{t('ops.live.flagged', { done: number(campaign.progress.done), total: number(campaign.progress.total) })}</p>
          <p className="muted">
            {t('ops.live.rate', { rate: number(campaign.progress.rate) })}
            {campaign.progress.seconds_left === null
              ? ''
              : ` · ${t('ops.live.left', { seconds: number(Math.ceil(campaign.progress.seconds_left)) })}`}
          </p>
          <p className="visually-hidden" role="status" aria-live="polite">
            {milestone}
          </p>
          <p className={connected ? 'live-dot live-dot--on' : 'live-dot'}>
            {connected ? t('ops.live.connected') : t('ops.live.reconnecting')}
          </p>
          <div className="button-row">
            {campaign.state === 'draft' || campaign.state === 'scheduled' ? button('start', t('ops.live.start')) : null}
            {campaign.state === 'running' ? button('pause', t('ops.live.pause'), 'secondary') : null}
            {campaign.state === 'paused' ? button('resume', t('ops.live.resume')) : null}
            {['draft', 'scheduled', 'running', 'paused'].includes(campaign.state) ? (
              confirmCancel ? (
                <>
                  <button type="button" className="button button--danger" onClick={() => void act('cancel')}>
                    {t('ops.live.cancelConfirm')}
                  </button>
                  <button type="button" className="button button--quiet" onClick={() => setConfirmCancel(false)}>
                    {t('common.cancel')}
                  </button>
                </>
              ) : (
                <button type="button" className="button button--quiet" onClick={() => setConfirmCancel(true)}>
                  {t('ops.live.cancel')}
                </button>
              )
            ) : null}
          </div>
          <dl className="facts">
            <div>
              <dt>{t('ops.live.cutoff')}</dt>
              <dd>{dateTime(campaign.cutoff)}</dd>
            </div>
            <div>
              <dt>{t('ops.live.sessions')}</dt>
              <dd>{campaign.revoke_sessions ? t('common.yes') : t('common.no')}</dd>
            </div>
            <div>
              <dt>{t('ops.live.batches')}</dt>
              <dd>{t('ops.live.batchesValue', { batches: campaign.batches, size: campaign.batch_size })}</dd>
            </div>
            <div>
              <dt>{t('ops.live.order')}</dt>
              <dd data-testid="campaign-order">{t(`ops.campaigns.order.${campaign.order}`)}</dd>
            </div>
            {campaign.targets_by_tier === null ? null : (
              <div>
                <dt>{t('ops.live.targetsByTier')}</dt>
                <dd data-testid="campaign-tiers">{t('ops.live.tiersValue', campaign.targets_by_tier)}</dd>
              </div>
            )}
            {campaign.revoke_api_passwords === 'none' ? null : (
              <div>
                <dt>{t('ops.live.apiRevoked')}</dt>
                <dd data-testid="campaign-api-revoked">
                  {campaign.api_passwords_revoked === null
                    ? t('ops.live.apiRevokedPending', { tiers: t(`ops.campaigns.revokeApi.${campaign.revoke_api_passwords}`) })
                    : t('ops.live.apiRevokedValue', {
                        count: campaign.api_passwords_revoked,
                        tiers: t(`ops.campaigns.revokeApi.${campaign.revoke_api_passwords}`),
                      })}
                </dd>
              </div>
            )}
            {campaign.start_at === null ? null : (
              <div>
                <dt>{t('ops.live.startAt')}</dt>
                <dd data-testid="campaign-start-at">{dateTime(campaign.start_at)}</dd>
              </div>
            )}
            <div>
              <dt>{t('ops.live.startedAt')}</dt>
              <dd>{dateTime(campaign.started_at)}</dd>
            </div>
          </dl>
        </div>
        <div className="section">
          <h2>{t('ops.live.completion')}</h2>
          <CompletionChart points={points} total={campaign.progress.total} />
          {completion === null ? null : (
            <>
              <p>{t('ops.live.changed', { changed: number(completion.changed), flagged: number(completion.flagged) })}</p>
              {completion.changed_before_rotation === 0 ? null : (
                <p data-testid="changed-before-rotation">
                  {t('ops.live.changedBefore', { count: number(completion.changed_before_rotation) })}
                </p>
              )}
              <CountTable
                caption={t('ops.live.byAccount')}
                rowHeading={t('ops.live.account')}
                columns={[t('ops.live.flaggedCol'), t('ops.live.changedCol')]}
                rows={completion.accounts.slice(0, 20).map((account) => ({
                  key: account.account_id,
                  label: account.subdomain,
                  counts: [account.flagged, account.changed],
                }))}
              />
            </>
          )}
        </div>
      </div>
    </section>
  );
}
