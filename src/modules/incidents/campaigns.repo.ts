import { sql, type Expression, type Selectable, type SqlBool } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { CampaignTargetsTable, RotationCampaignsTable } from '../../db/schema.js';
import { compileUserSelector } from './selectors/selector.compile.js';
import type { Selector } from './selectors/selector.schema.js';

export type CampaignRow = Selectable<RotationCampaignsTable>;
export type CampaignTargetRow = Selectable<CampaignTargetsTable>;
export type CampaignState = CampaignRow['state'];

export const CAMPAIGN_ID_SEQUENCE = 'rotation_campaigns';

/** Why a user the selector is about is not a target; `target` for those who are. */
export type DryRunClass = 'target' | 'other_realm' | 'sso' | 'no_password' | 'changed_since_cutoff' | 'excluded_by_selector';

export interface DryRunRow {
  class: DryRunClass;
  account_id: number;
  subdomain: string;
  role: string;
  realm: string;
  users: number;
}

/** The predicates a dry run classifies by, compiled from the campaign's selector. */
export interface DryRunPredicates {
  /** The users the campaign is about: the selector without its realm, SSO and password clauses; undefined = every user. */
  candidates: Expression<SqlBool> | undefined;
  /** The selector's own realm clauses; undefined = any realm. */
  realm: Expression<SqlBool> | undefined;
  /** The whole selector. */
  selector: Expression<SqlBool>;
}

export async function insertCampaign(db: Queryable, row: CampaignRow): Promise<void> {
  await db.insertInto('rotation_campaigns').values(row).execute();
}

export async function findCampaign(db: Queryable, id: number): Promise<CampaignRow | undefined> {
  return db.selectFrom('rotation_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Applies `changes` when the campaign is in one of `from`, and returns the
 * row as changed; undefined when it is not (absent, or in another state).
 * One statement, so two operators cannot both pause or both start it.
 */
export async function moveCampaign(
  db: Queryable,
  id: number,
  from: readonly CampaignState[],
  changes: Partial<Omit<CampaignRow, 'id' | 'run_generation'>> & { bumpGeneration?: boolean },
): Promise<CampaignRow | undefined> {
  const { bumpGeneration, ...columns } = changes;
  return db
    .updateTable('rotation_campaigns')
    .set((eb) => ({ ...columns, ...(bumpGeneration === true ? { run_generation: eb('run_generation', '+', 1) } : {}) }))
    .where('id', '=', id)
    .where('state', 'in', from)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Dry-run counts in one grouped query over the users the campaign is about,
 * each in exactly one class, the first that applies: another realm, SSO, no
 * password, password changed at or after the cutoff, left out by the rest of
 * the selector, or a target.
 */
export async function dryRunCounts(db: Queryable, selector: Selector, predicates: DryRunPredicates, cutoff: string): Promise<DryRunRow[]> {
  // The selector's join, filtered by the wider candidate set rather than the whole selector.
  let query = compileUserSelector(db, selector).clearWhere();
  if (predicates.candidates !== undefined) query = query.where(predicates.candidates);
  const rows = await query
    .select((eb) => [
      eb
        .case()
        .when(predicates.realm === undefined ? sql<SqlBool>`1 = 0` : eb.not(predicates.realm))
        .then('other_realm')
        .when('users.sso', '=', 1)
        .then('sso')
        .when('password_credentials.user_id', 'is', null)
        .then('no_password')
        .when('password_credentials.password_changed_at', '>=', cutoff)
        .then('changed_since_cutoff')
        .when(eb.not(predicates.selector))
        .then('excluded_by_selector')
        .else('target')
        .end()
        .as('class'),
      'users.account_id',
      'accounts.subdomain',
      'users.role',
      'users.realm',
      eb.fn.countAll<number>().as('users'),
    ])
    .groupBy([sql`1`, 'users.account_id', 'accounts.subdomain', 'users.role', 'users.realm'])
    .execute();
  return rows.map((row) => ({ ...row, class: row.class as DryRunClass, account_id: Number(row.account_id), users: Number(row.users) }));
}

/**
 * Freezes the target set in ONE insert-select: users the selector matches
 * who have a password, are not on SSO and set it before the cutoff, numbered
 * into batches of `batchSize` in key order. Returns how many were frozen.
 */
export async function freezeTargets(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'cutoff' | 'batch_size'>,
  selector: Selector,
): Promise<number> {
  const campaignId = Number(campaign.id);
  const batchSize = Number(campaign.batch_size);
  // Literals, not parameters: both are integers we made, and PostgreSQL would type a bare parameter in a select list as text.
  const targets = compileUserSelector(db, selector)
    .where('password_credentials.user_id', 'is not', null)
    .where('users.sso', '=', 0)
    .where('password_credentials.password_changed_at', '<', campaign.cutoff)
    .select([
      sql.lit(campaignId).as('campaign_id'),
      'users.account_id',
      'users.id as user_id',
      sql<number>`(row_number() over (order by users.account_id, users.id) - 1) / ${sql.lit(batchSize)}`.as('batch'),
    ]);
  const result = await db
    .insertInto('campaign_targets')
    .columns(['campaign_id', 'account_id', 'user_id', 'batch'])
    .expression(targets)
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** The batches with targets not yet flagged, in order. */
export async function pendingBatches(db: Queryable, campaignId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('campaign_targets')
    .select('batch')
    .distinct()
    .where('campaign_id', '=', campaignId)
    .where('flagged_at', 'is', null)
    .orderBy('batch')
    .execute();
  return rows.map((row) => Number(row.batch));
}

/**
 * Opens a batch: while the campaign is running, adds the batch's unflagged
 * targets to `done` and returns the campaign as updated; undefined when it
 * is not running. Call first in the batch's transaction: the UPDATE locks the
 * campaign row (PostgreSQL), so batches apply one after another, always
 * taking the campaign lock before any account's audit head.
 */
export async function openBatch(db: Queryable, campaignId: number, batch: number): Promise<CampaignRow | undefined> {
  return db
    .updateTable('rotation_campaigns')
    .set((eb) => ({
      done: eb(
        'done',
        '+',
        eb
          .selectFrom('campaign_targets')
          .select(eb.fn.countAll<number>().as('pending'))
          .where('campaign_id', '=', campaignId)
          .where('batch', '=', batch)
          .where('flagged_at', 'is', null),
      ),
    }))
    .where('id', '=', campaignId)
    .where('state', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

/** Unflagged targets of a batch per account, for the audit trail. */
export async function pendingTargetsByAccount(
  db: Queryable,
  campaignId: number,
  batch: number,
): Promise<Array<{ accountId: number; users: number }>> {
  const rows = await db
    .selectFrom('campaign_targets')
    .select((eb) => ['account_id', eb.fn.countAll<number>().as('users')])
    .where('campaign_id', '=', campaignId)
    .where('batch', '=', batch)
    .where('flagged_at', 'is', null)
    .groupBy('account_id')
    .orderBy('account_id')
    .execute();
  return rows.map((row) => ({ accountId: Number(row.account_id), users: Number(row.users) }));
}

/**
 * ONE UPDATE: forces a new password for the batch's unflagged targets, with
 * the incident as reason, skipping any already flagged for this incident.
 */
export async function flagBatchCredentials(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'incident_id'>,
  batch: number,
): Promise<number> {
  const incidentId = Number(campaign.incident_id);
  const result = await db
    .updateTable('password_credentials')
    .from('campaign_targets as target')
    .set({ must_change: 1, must_change_reason: 'incident', must_change_incident_id: incidentId })
    .whereRef('password_credentials.account_id', '=', 'target.account_id')
    .whereRef('password_credentials.user_id', '=', 'target.user_id')
    .where('target.campaign_id', '=', Number(campaign.id))
    .where('target.batch', '=', batch)
    .where('target.flagged_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('password_credentials.must_change', '=', 0),
        eb('password_credentials.must_change_incident_id', 'is', null),
        eb('password_credentials.must_change_incident_id', '!=', incidentId),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** ONE UPDATE: revokes the live web sessions of the batch's unflagged targets. API and OAuth tokens are not touched. */
export async function revokeBatchSessions(db: Queryable, campaignId: number, batch: number, now: string, reason: string): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .from('campaign_targets as target')
    .set({ revoked_at: now, revoked_reason: reason })
    .whereRef('sessions.account_id', '=', 'target.account_id')
    .whereRef('sessions.user_id', '=', 'target.user_id')
    .where('target.campaign_id', '=', campaignId)
    .where('target.batch', '=', batch)
    .where('target.flagged_at', 'is', null)
    .where('sessions.revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Marks the batch's targets flagged: a later run of the batch finds nothing to do. */
export async function markBatchFlagged(db: Queryable, campaignId: number, batch: number, now: string): Promise<number> {
  const result = await db
    .updateTable('campaign_targets')
    .set({ flagged_at: now })
    .where('campaign_id', '=', campaignId)
    .where('batch', '=', batch)
    .where('flagged_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface CompletionRow {
  account_id: number;
  subdomain: string;
  flagged: number;
  changed: number;
}

/**
 * Per account: flagged targets, and those who have set a new password since
 * (changed after being flagged, or no longer required to change it).
 */
export async function completionByAccount(db: Queryable, campaignId: number): Promise<CompletionRow[]> {
  const rows = await db
    .selectFrom('campaign_targets as target')
    .innerJoin('accounts', 'accounts.id', 'target.account_id')
    .leftJoin('password_credentials as credential', (join) =>
      join.onRef('credential.account_id', '=', 'target.account_id').onRef('credential.user_id', '=', 'target.user_id'),
    )
    .select((eb) => [
      'target.account_id',
      'accounts.subdomain',
      eb.fn.countAll<number>().as('flagged'),
      eb.fn
        .sum<number>(
          eb
            .case()
            .when(eb.or([eb('credential.must_change', '=', 0), eb('credential.password_changed_at', '>', eb.ref('target.flagged_at'))]))
            .then(1)
            .else(0)
            .end(),
        )
        .as('changed'),
    ])
    .where('target.campaign_id', '=', campaignId)
    .where('target.flagged_at', 'is not', null)
    .groupBy(['target.account_id', 'accounts.subdomain'])
    .orderBy('target.account_id')
    .execute();
  return rows.map((row) => ({
    account_id: Number(row.account_id),
    subdomain: row.subdomain,
    flagged: Number(row.flagged),
    changed: Number(row.changed),
  }));
}
