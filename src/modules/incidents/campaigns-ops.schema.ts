import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import type { DryRun } from './campaign-dry-run.js';
import { type CampaignCompletion, type CreatedCampaign } from './campaigns.service.js';
import { API_PASSWORD_REVOCATIONS, BATCH_ORDERS, type CampaignView } from './campaign-view.js';
import { hashTierCountsWireSchema } from './scope-ops.schema.js';
import { selectorRef } from './selectors/selector.schema.js';

/** A campaign's states, as the service moves it (draft → scheduled → running ⇄ paused → done, or cancelled). */
export const CAMPAIGN_STATES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'cancelled',
  'done',
] as const satisfies readonly CampaignView['state'][];

export const campaignProgressWireSchema = closedObject({
  done: wire.integer,
  total: wire.integer,
  /** Targets flagged per second since the start, rounded. */
  rate: wire.integer,
  /** At `rate`; null when nothing is flagged yet or nothing is left. */
  seconds_left: wire.nullableNumber,
});

export const campaignWireSchema = closedObject({
  id: wire.integer,
  incident_id: wire.integer,
  state: { type: 'string', enum: CAMPAIGN_STATES },
  selector: selectorRef,
  cutoff: wire.string,
  revoke_sessions: wire.boolean,
  batch_size: wire.integer,
  batches: wire.integer,
  created_at: wire.string,
  start_at: wire.nullableString,
  scheduled_at: wire.nullableString,
  started_at: wire.nullableString,
  finished_at: wire.nullableString,
  progress: campaignProgressWireSchema,
  /** `by_account`, or `weakest_first`: critical targets' batches first, then high, then moderate. */
  order: { type: 'string', enum: BATCH_ORDERS },
  /** Whose `email:password` API access the start revokes: `none`, `critical` or `critical_and_high` targets. */
  revoke_api_passwords: { type: 'string', enum: API_PASSWORD_REVOCATIONS },
  /** Frozen targets per hash tier at exposure time; null until frozen. */
  targets_by_tier: hashTierCountsWireSchema,
  /** Credentials whose `email:password` API access the start revoked; null until started or when not asked. */
  api_passwords_revoked: wire.nullableInteger,
});
export type CampaignWire = FromSchema<typeof campaignWireSchema>;

/** By reason, each of the dry run's `EXEMPT_REASONS`. */
const exemptWireSchema = closedObject({
  sso: wire.integer,
  changed_since_cutoff: wire.integer,
  other_realm: wire.integer,
  no_password: wire.integer,
  excluded_by_selector: wire.integer,
});

export const dryRunWireSchema = closedObject({
  targets: wire.integer,
  /** Targets per hash tier at exposure time. */
  by_tier: closedObject({ critical: wire.integer, high: wire.integer, moderate: wire.integer }),
  /** Users the campaign is about who are not targets, by reason. */
  exempt: exemptWireSchema,
  by_account: {
    type: 'array',
    items: closedObject({ account_id: wire.integer, subdomain: wire.string, targets: wire.integer, exempt: wire.integer }),
  },
  by_role: wire.counts,
  by_realm: wire.counts,
});
export type DryRunWire = FromSchema<typeof dryRunWireSchema>;

/** A draft as `POST /ops/v1/incidents/:id/campaigns` answers it: the campaign with its dry run. */
export const draftedCampaignWireSchema = closedObject({ ...campaignWireSchema.properties, dry_run: dryRunWireSchema });
export type DraftedCampaignWire = FromSchema<typeof draftedCampaignWireSchema>;

const accountCompletionWireSchema = closedObject({
  account_id: wire.integer,
  subdomain: wire.string,
  flagged: wire.integer,
  changed: wire.integer,
  changed_before_rotation: wire.integer,
});

export const completionWireSchema = closedObject({
  campaign_id: wire.integer,
  flagged: wire.integer,
  /** Flagged targets who have set a new password since. */
  changed: wire.integer,
  /** Targets who set a new password after the targets were frozen and before their batch ran: left alone. */
  changed_before_rotation: wire.integer,
  accounts: { type: 'array', items: accountCompletionWireSchema },
});
export type CompletionWire = FromSchema<typeof completionWireSchema>;

/** The answers of the campaign routes. */
export const draftedCampaignAnswerSchema = closedObject({ campaign: draftedCampaignWireSchema });
export const campaignAnswerSchema = closedObject({ campaign: campaignWireSchema });
export const campaignWithCompletionAnswerSchema = closedObject({ campaign: campaignWireSchema, completion: completionWireSchema });
export type CampaignWithCompletionWire = FromSchema<typeof campaignWithCompletionAnswerSchema>;

export const presentCampaign = (campaign: CampaignView): CampaignWire => ({
  id: campaign.id,
  incident_id: campaign.incidentId,
  state: campaign.state,
  selector: campaign.selector,
  cutoff: campaign.cutoff,
  revoke_sessions: campaign.revokeSessions,
  batch_size: campaign.batchSize,
  batches: campaign.batches,
  created_at: campaign.createdAt,
  start_at: campaign.startAt,
  scheduled_at: campaign.scheduledAt,
  started_at: campaign.startedAt,
  finished_at: campaign.finishedAt,
  progress: {
    done: campaign.progress.done,
    total: campaign.progress.total,
    rate: campaign.progress.rate,
    seconds_left: campaign.progress.secondsLeft,
  },
  order: campaign.order,
  revoke_api_passwords: campaign.revokeApiPasswords,
  targets_by_tier: campaign.targetsByTier === null ? null : { ...campaign.targetsByTier },
  api_passwords_revoked: campaign.apiPasswordsRevoked,
});

export const presentDryRun = (dryRun: DryRun): DryRunWire => ({
  targets: dryRun.targets,
  by_tier: { ...dryRun.byTier },
  exempt: { ...dryRun.exempt },
  by_account: dryRun.byAccount.map((account) => ({
    account_id: account.accountId,
    subdomain: account.subdomain,
    targets: account.targets,
    exempt: account.exempt,
  })),
  by_role: dryRun.byRole,
  by_realm: dryRun.byRealm,
});

export const presentDraftedCampaign = (draft: CreatedCampaign): DraftedCampaignWire => ({
  ...presentCampaign(draft),
  dry_run: presentDryRun(draft.dryRun),
});

export const presentCompletion = (completion: CampaignCompletion): CompletionWire => ({
  campaign_id: completion.campaignId,
  flagged: completion.flagged,
  changed: completion.changed,
  changed_before_rotation: completion.changedBeforeRotation,
  accounts: completion.accounts.map((account) => ({
    account_id: account.accountId,
    subdomain: account.subdomain,
    flagged: account.flagged,
    changed: account.changed,
    changed_before_rotation: account.changedBeforeRotation,
  })),
});

/** A campaign with its completion, as `GET /ops/v1/campaigns/:id` and the event stream's snapshot send it. */
export const presentCampaignWithCompletion = (campaign: CampaignView, completion: CampaignCompletion): CampaignWithCompletionWire => ({
  campaign: presentCampaign(campaign),
  completion: presentCompletion(completion),
});
