import { expressionBuilder, sql, type Expression, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import { readsInParallelOnlyIntoNewTables, type Queryable } from '../../db/database.js';
import type { CampaignTargetsTable, Database, RotationCampaignsTable } from '../../db/schema.js';
import { exposedHashTierSql } from '../auth/passwords/hash-strength.repo.js';
import { isHashTier, noHashTiers, type HashTier, type HashTierCounts } from '../auth/passwords/hash-strength.js';
import { compileUserSelector } from './selectors/selector.compile.js';
import type { Selector } from './selectors/selector.model.js';

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
  /** The hash tier at exposure time, for targets; null for the exempt. */
  tier: HashTier | null;
  users: number;
}

const EXEMPT_CLASSES: ReadonlySet<string> = new Set<DryRunClass>([
  'other_realm',
  'sso',
  'no_password',
  'changed_since_cutoff',
  'excluded_by_selector',
]);

/** The predicates a dry run classifies by, compiled from the campaign's selector. */
export interface DryRunPredicates {
  /** The users the campaign is about: the selector without its realm, SSO and password clauses; undefined = every user. */
  candidates: Expression<SqlBool> | undefined;
  /** The selector's own realm clauses; undefined = any realm. */
  realm: Expression<SqlBool> | undefined;
  /**
   * The selector's own SSO and password clauses; undefined = none. With the
   * candidates and the realm clauses, the whole selector: where those hold
   * (the query's filter and the realm class), these alone decide the rest.
   */
  credentials: Expression<SqlBool> | undefined;
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

// Builds expressions only, over the join `compileUserSelector` makes.
const userEb = expressionBuilder<Database, 'users' | 'password_credentials'>();

/**
 * The dry-run class of one user the campaign is about, over the join
 * `compileUserSelector` makes: the first that applies of another realm, SSO,
 * no password, password changed at or after the cutoff, left out by the rest
 * of the selector; else `target`, or what stands for it when given (the dry
 * run gives the hash tier, so that one expression both classifies and tiers).
 * The dry run groups by it; the customers' list of rotation targets
 * (`affected-users.repo.ts`) gives it per user.
 */
export const dryRunClassOf = (predicates: DryRunPredicates, cutoff: string, target: Expression<string> = sql.lit('target')) =>
  userEb
    .case()
    .when(predicates.realm === undefined ? sql<SqlBool>`1 = 0` : userEb.not(predicates.realm))
    .then('other_realm')
    .when('users.sso', '=', 1)
    .then('sso')
    .when('password_credentials.user_id', 'is', null)
    .then('no_password')
    .when('password_credentials.password_changed_at', '>=', cutoff)
    .then('changed_since_cutoff')
    .when(predicates.credentials === undefined ? sql<SqlBool>`1 = 0` : userEb.not(predicates.credentials))
    .then('excluded_by_selector')
    .else(target)
    .end();

/**
 * Dry-run counts in one grouped query over the users the campaign is about,
 * each in exactly one class, the first that applies: another realm, SSO, no
 * password, password changed at or after the cutoff, left out by the rest of
 * the selector, or a target, counted by the hash tier its password was
 * exposed with from `hashesAsOf` on (`exposedHashTierSql`). Grouped by
 * account first, in the order the join reads them, on as few keys as
 * classify: the tier stands in for `target`, the subdomain follows the account.
 */
export async function dryRunCounts(
  db: Queryable,
  selector: Selector,
  predicates: DryRunPredicates,
  cutoff: string,
  hashesAsOf: string = cutoff,
): Promise<DryRunRow[]> {
  // The selector's join, filtered by the wider candidate set rather than the whole selector.
  let query = compileUserSelector(db, selector).clearWhere();
  if (predicates.candidates !== undefined) query = query.where(predicates.candidates);
  const rows = await query
    .select((eb) => [
      'users.account_id',
      dryRunClassOf(predicates, cutoff, exposedHashTierSql('password_credentials', hashesAsOf)).as('class'),
      eb.fn.max('accounts.subdomain').as('subdomain'),
      'users.role',
      'users.realm',
      eb.fn.countAll<number>().as('users'),
    ])
    .groupBy(['users.account_id', sql`2`, 'users.role', 'users.realm'])
    .execute();
  return rows.map((row) => {
    const exempt = EXEMPT_CLASSES.has(row.class);
    return {
      class: exempt ? (row.class as DryRunClass) : 'target',
      account_id: Number(row.account_id),
      subdomain: row.subdomain,
      role: row.role,
      realm: row.realm,
      tier: !exempt && isHashTier(row.class) ? row.class : null,
      users: Number(row.users),
    };
  });
}

/** 0, 1, 2 for critical, high, moderate, over a `hash_tier` column: what `weakest_first` orders by. */
const tierRankSql = (column: string) => sql<number>`(case ${sql.ref(column)} when 'critical' then 0 when 'high' then 1 else 2 end)`;

/** How many of `count` rows make batches of `size`, in integer SQL arithmetic (count + size - 1) / size. */
const batchesOf = (count: RawBuilder<number>, size: number) => sql<number>`((${count} + ${sql.lit(size - 1)}) / ${sql.lit(size)})`;

/**
 * Freezes the target set in ONE insert-select: users the selector matches
 * who have a password, are not on SSO and set it before the cutoff, each
 * with the tier its hash was exposed with from `hashesAsOf` on, numbered
 * into batches of `batchSize`: in key order (`by_account`), or for
 * `weakest_first` every critical target's batches first, then high, then
 * moderate, each batch of one tier only (window functions number each tier
 * from the batches the weaker tiers take). Returns how many were frozen.
 * In the caller's transaction (on PostgreSQL the numbered targets pass
 * through a temporary table dropped at its commit).
 */
export async function freezeTargets(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'cutoff' | 'batch_size' | 'batch_order'>,
  selector: Selector,
  hashesAsOf: string,
): Promise<number> {
  const campaignId = Number(campaign.id);
  const batchSize = Number(campaign.batch_size);
  // Literals, not parameters: both are integers we made, and PostgreSQL would type a bare parameter in a select list as text.
  const matching = compileUserSelector(db, selector)
    .where('password_credentials.user_id', 'is not', null)
    .where('users.sso', '=', 0)
    .where('password_credentials.password_changed_at', '<', campaign.cutoff)
    .select([
      sql.lit(campaignId).as('campaign_id'),
      'users.account_id',
      'users.id as user_id',
      exposedHashTierSql('password_credentials', hashesAsOf).as('hash_tier'),
    ]);
  const size = sql.lit(batchSize);
  // Unary plus: SQLite would otherwise read every user through the users' key index to save sorting the targets.
  const keyOrder = sql`order by +ranked.account_id, +ranked.user_id`;
  const targets =
    campaign.batch_order === 'weakest_first'
      ? (() => {
          const rank = tierRankSql('ranked.hash_tier');
          const tierTotal = (tier: number) => sql<number>`sum(case when ${rank} = ${sql.lit(tier)} then 1 else 0 end) over ()`;
          const firstBatch = sql<number>`(case ${rank} when 0 then 0
            when 1 then ${batchesOf(tierTotal(0), batchSize)}
            else ${batchesOf(tierTotal(0), batchSize)} + ${batchesOf(tierTotal(1), batchSize)} end)`;
          return db
            .selectFrom(matching.as('ranked'))
            .select([
              'ranked.campaign_id',
              'ranked.account_id',
              'ranked.user_id',
              sql<number>`${firstBatch} + (row_number() over (partition by ${rank} ${keyOrder}) - 1) / ${size}`.as('batch'),
              'ranked.hash_tier',
            ]);
        })()
      : db
          .selectFrom(matching.as('ranked'))
          .select([
            'ranked.campaign_id',
            'ranked.account_id',
            'ranked.user_id',
            sql<number>`(row_number() over (${keyOrder}) - 1) / ${size}`.as('batch'),
            'ranked.hash_tier',
          ]);
  if (readsInParallelOnlyIntoNewTables(db)) {
    // The targets are read and numbered by parallel workers into a table of this transaction, then inserted at once.
    await sql`create temporary table frozen_targets on commit drop as ${targets}`.execute(db);
    const inserted = await sql`insert into campaign_targets (campaign_id, account_id, user_id, batch, hash_tier)
      select campaign_id, account_id, user_id, batch, hash_tier from frozen_targets`.execute(db);
    return Number(inserted.numAffectedRows ?? 0);
  }
  const result = await db
    .insertInto('campaign_targets')
    .columns(['campaign_id', 'account_id', 'user_id', 'batch', 'hash_tier'])
    .expression(targets)
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** A frozen target set per hash tier, and how many batches it takes (the highest batch number + 1). */
export async function frozenTargetsByTier(db: Queryable, campaignId: number): Promise<{ byTier: HashTierCounts; batches: number }> {
  const rows = await db
    .selectFrom('campaign_targets')
    .select((eb) => ['hash_tier', eb.fn.countAll<number>().as('targets'), eb.fn.max('batch').as('last')])
    .where('campaign_id', '=', campaignId)
    .groupBy('hash_tier')
    .execute();
  const byTier = noHashTiers();
  let batches = 0;
  for (const row of rows) {
    if (isHashTier(row.hash_tier)) byTier[row.hash_tier] += Number(row.targets);
    batches = Math.max(batches, Number(row.last) + 1);
  }
  return { byTier, batches };
}

/**
 * The batches with targets not yet flagged, in order. For a `weakest_first`
 * campaign, only those of the weakest tier still pending: the next tier's
 * batches are queued once these are all applied (`applyCampaignBatch`).
 */
export async function pendingBatches(db: Queryable, campaign: Pick<CampaignRow, 'id' | 'batch_order'>): Promise<number[]> {
  const rows = await db
    .selectFrom('campaign_targets')
    .select(['batch', 'hash_tier'])
    .distinct()
    .where('campaign_id', '=', Number(campaign.id))
    .where('flagged_at', 'is', null)
    .orderBy('batch')
    .execute();
  const weakest = rows[0]?.hash_tier;
  const due = campaign.batch_order === 'weakest_first' ? rows.filter((row) => row.hash_tier === weakest) : rows;
  return [...new Set(due.map((row) => Number(row.batch)))];
}

/**
 * ONE UPDATE: revokes `email:password` API access of the campaign's targets
 * of these tiers whose exposed password is still in place (set before the
 * cutoff), naming the incident; a new password clears it (`setNewPassword`).
 * Returns, per account, how many it revoked.
 */
export async function revokeTargetsApiPasswords(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'incident_id' | 'cutoff'>,
  tiers: readonly HashTier[],
  now: string,
): Promise<Array<{ accountId: number; credentials: number }>> {
  if (tiers.length === 0) return [];
  const incidentId = Number(campaign.incident_id);
  await db
    .updateTable('password_credentials')
    .from('campaign_targets as target')
    .set({ api_revoked_at: now, api_revoked_incident_id: incidentId })
    .whereRef('password_credentials.account_id', '=', 'target.account_id')
    .whereRef('password_credentials.user_id', '=', 'target.user_id')
    .where('target.campaign_id', '=', Number(campaign.id))
    .where('target.hash_tier', 'in', tiers)
    .where('password_credentials.password_changed_at', '<', campaign.cutoff)
    .where('password_credentials.api_revoked_at', 'is', null)
    .execute();
  const rows = await db
    .selectFrom('campaign_targets as target')
    .innerJoin('password_credentials as credential', (join) =>
      join.onRef('credential.account_id', '=', 'target.account_id').onRef('credential.user_id', '=', 'target.user_id'),
    )
    .select((eb) => ['target.account_id', eb.fn.countAll<number>().as('credentials')])
    .where('target.campaign_id', '=', Number(campaign.id))
    .where('credential.api_revoked_at', '=', now)
    .where('credential.api_revoked_incident_id', '=', incidentId)
    .groupBy('target.account_id')
    .orderBy('target.account_id')
    .execute();
  return rows.map((row) => ({ accountId: Number(row.account_id), credentials: Number(row.credentials) }));
}

export interface CompletionRow {
  account_id: number;
  subdomain: string;
  flagged: number;
  changed: number;
  changed_before_rotation: number;
}

/**
 * Per account: flagged targets, those who have set a new password since
 * (changed after being flagged, or no longer required to change it), and the
 * targets left alone because they changed it before their batch ran.
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
      eb.fn.sum<number>(eb.case().when('target.changed_before_rotation', '=', 0).then(1).else(0).end()).as('flagged'),
      eb.fn
        .sum<number>(
          eb
            .case()
            .when(
              eb.and([
                eb('target.changed_before_rotation', '=', 0),
                eb.or([eb('credential.must_change', '=', 0), eb('credential.password_changed_at', '>', eb.ref('target.flagged_at'))]),
              ]),
            )
            .then(1)
            .else(0)
            .end(),
        )
        .as('changed'),
      eb.fn.sum<number>('target.changed_before_rotation').as('changed_before_rotation'),
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
    changed_before_rotation: Number(row.changed_before_rotation),
  }));
}
