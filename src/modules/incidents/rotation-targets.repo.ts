import { sql, type SqlBool } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { UserRole } from '../accounts/roles.js';
import {
  ROTATION_EXEMPT_REASONS,
  type RotationExemptReason,
  type RotationTarget,
  type RotationTargetState,
} from './affected-users.model.js';
import { ALL_IDS, ONE, ZERO, type IdBounds, type RowWindow } from './affected-users.repo.js';
import { dryRunClassOf, type CampaignState, type DryRunPredicates } from './campaigns.repo.js';
import { compileUserSelector } from './selectors/selector.compile.js';
import type { Selector } from './selectors/selector.model.js';

// The users the incident's rotation campaigns are about in one account, with where each stands: every
// query reads one account's targets and users, restricted to `accountId` before anything else.

/** A campaign of the incident as the rotation list reads it. */
export interface CampaignSource {
  id: number;
  state: CampaignState;
  cutoff: string;
  selector: Selector;
}

/** The incident's campaigns past draft (a draft has frozen nothing), oldest first. */
export async function listRotationCampaigns(
  db: Queryable,
  incidentId: number,
): Promise<Array<Omit<CampaignSource, 'selector'> & { selector: string }>> {
  const rows = await db
    .selectFrom('rotation_campaigns')
    .select(['id', 'state', 'cutoff', 'selector'])
    .where('incident_id', '=', incidentId)
    .where('state', '<>', 'draft')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

/** A campaign with the predicates its dry run classifies by. */
export type ClassifiedCampaign = CampaignSource & { predicates: DryRunPredicates };

// The exempt reasons ranked in the dry run's order, `matched_after_freeze` (the dry run's `target`) last.
const REASON_RANK = ROTATION_EXEMPT_REASONS.map((reason, index) => ({ reason, rank: index + 1 }));

/**
 * Per user the frozen targets of the incident's campaigns in the account
 * (those of a cancelled campaign only when flagged before it stopped):
 * whether flagged (not left alone), changed since, still unflagged, or left
 * alone for a change before rotation, and when first flagged.
 */
function frozenTargets(db: Queryable, incidentId: number, accountId: number, { afterId, upTo }: IdBounds) {
  return db
    .selectFrom('campaign_targets as t')
    .innerJoin('rotation_campaigns as c', 'c.id', 't.campaign_id')
    .leftJoin('password_credentials as pc', (join) =>
      join.onRef('pc.account_id', '=', 't.account_id').onRef('pc.user_id', '=', 't.user_id'),
    )
    .where('c.incident_id', '=', incidentId)
    .where('t.account_id', '=', accountId)
    .$if(afterId !== null, (query) => query.where('t.user_id', '>', afterId ?? 0))
    .$if(upTo !== undefined, (query) => query.where('t.user_id', '<=', upTo ?? 0))
    .where((eb) => eb.or([eb('c.state', '<>', 'cancelled'), eb('t.flagged_at', 'is not', null)]))
    .select((eb) => {
      const flagged = eb.and([eb('t.flagged_at', 'is not', null), eb('t.changed_before_rotation', '=', 0)]);
      // As the customer view and the completion count it: no change required any more, or a password set since flagged.
      const changedSince = eb.or([eb('pc.must_change', '=', 0), eb('pc.password_changed_at', '>', eb.ref('t.flagged_at'))]);
      return [
        't.user_id',
        eb.fn.max(eb.case().when(flagged).then(ONE).else(ZERO).end()).as('flagged'),
        eb.fn
          .max(
            eb
              .case()
              .when(eb.and([flagged, changedSince]))
              .then(ONE)
              .else(ZERO)
              .end(),
          )
          .as('changed'),
        eb.fn.max(eb.case().when('t.flagged_at', 'is', null).then(ONE).else(ZERO).end()).as('unflagged'),
        eb.fn.max(eb.case().when('t.changed_before_rotation', '=', 1).then(ONE).else(ZERO).end()).as('changed_before'),
        eb.fn.min(eb.case().when(flagged).then(eb.ref('t.flagged_at')).end()).as('flagged_at'),
      ];
    })
    .groupBy('t.user_id');
}

/**
 * Per user the campaigns (not cancelled) are about in the account, the rank
 * of their dry-run class: for a user several campaigns are about, that of
 * the campaign that came closest to targeting them.
 */
function campaignClasses(db: Queryable, campaigns: readonly ClassifiedCampaign[], accountId: number, { afterId, upTo }: IdBounds) {
  const classified = campaigns
    .filter((campaign) => campaign.state !== 'cancelled')
    .map((campaign) => {
      let query = compileUserSelector(db, campaign.selector).clearWhere().where('users.account_id', '=', accountId);
      if (campaign.predicates.candidates !== undefined) query = query.where(campaign.predicates.candidates);
      return query
        .$if(afterId !== null, (inner) => inner.where('users.id', '>', afterId ?? 0))
        .$if(upTo !== undefined, (inner) => inner.where('users.id', '<=', upTo ?? 0))
        .select(['users.id as user_id', dryRunClassOf(campaign.predicates, campaign.cutoff).as('class')]);
    });
  const union = classified.reduce<(typeof classified)[number] | undefined>(
    (joined, query) => (joined === undefined ? query : joined.unionAll(query)),
    undefined,
  );
  if (union === undefined) return undefined;
  return db
    .selectFrom(union.as('k'))
    .select(['k.user_id', sql<number>`max(${rankOfClass})`.as('rank')])
    .groupBy('k.user_id');
}

// The dry run's class as its rank, and a rank back as its reason: constant text of our own, written as literals.
const rankOfClass = sql<number>`case ${sql.join(
  REASON_RANK.map(
    ({ reason, rank }) =>
      sql`when ${sql.ref('k.class')} = ${sql.lit(reason === 'matched_after_freeze' ? 'target' : reason)} then ${sql.lit(rank)}`,
  ),
  sql` `,
)} end`;
const reasonOfRank = sql<RotationExemptReason | null>`case when ${sql.ref('f.user_id')} is null then case ${sql.ref('e.rank')} ${sql.join(
  REASON_RANK.map(({ reason, rank }) => sql`when ${sql.lit(rank)} then ${sql.lit(reason)}`),
  sql` `,
)} end end`;

/**
 * Every user of the account the incident's campaigns are about, one row
 * each, with their state: from the frozen targets when the user is one
 * (flagged: changed or pending; else not yet flagged; else left alone for a
 * change before rotation), else exempt with the reason of the dry-run class.
 * ONE statement, to be paged or grouped.
 */
function rotationTargetRows(
  db: Queryable,
  incidentId: number,
  accountId: number,
  campaigns: readonly ClassifiedCampaign[],
  bounds: IdBounds,
) {
  const frozen = frozenTargets(db, incidentId, accountId, bounds).as('f');
  const classes = campaignClasses(db, campaigns, accountId, bounds);
  // Without a campaign to classify by, no user is exempt: an empty stand-in keeps one statement shape.
  const exempt = (
    classes ??
    db
      .selectFrom('users as k')
      .select(['k.id as user_id', sql<number>`0`.as('rank')])
      .where(sql<SqlBool>`1 = 0`)
  ).as('e');
  return db
    .selectFrom('users')
    .leftJoin(frozen, 'f.user_id', 'users.id')
    .leftJoin(exempt, 'e.user_id', 'users.id')
    .leftJoin('password_credentials as pc', (join) =>
      join.onRef('pc.account_id', '=', 'users.account_id').onRef('pc.user_id', '=', 'users.id'),
    )
    .where('users.account_id', '=', accountId)
    .where((eb) => eb.or([eb('f.user_id', 'is not', null), eb('e.user_id', 'is not', null)]))
    .select((eb) => [
      'users.id',
      'users.name',
      'users.email',
      'users.role',
      'users.realm',
      eb
        .case()
        .when(eb.and([eb('f.flagged', '=', 1), eb('f.changed', '=', 1)]))
        .then(sql.lit('changed'))
        .when('f.flagged', '=', 1)
        .then(sql.lit('pending'))
        .when('f.unflagged', '=', 1)
        .then(sql.lit('not_yet_flagged'))
        .when('f.changed_before', '=', 1)
        .then(sql.lit('changed_before_rotation'))
        .else(sql.lit('exempt'))
        .end()
        .as('state'),
      reasonOfRank.as('exempt_reason'),
      'f.flagged_at',
      'pc.password_changed_at',
    ]);
}

const toRotationTarget = (row: Record<string, unknown>): RotationTarget => ({
  id: Number(row.id),
  name: String(row.name),
  email: String(row.email),
  role: row.role as UserRole,
  realm: String(row.realm),
  state: row.state as RotationTargetState,
  exempt_reason: (row.exempt_reason ?? null) as RotationExemptReason | null,
  flagged_at: (row.flagged_at ?? null) as string | null,
  password_changed_at: (row.password_changed_at ?? null) as string | null,
});

/** One page of the account's rotation targets with their state, in user id order; `state` filters. ONE statement. */
export async function listRotationTargets(
  db: Queryable,
  incidentId: number,
  accountId: number,
  campaigns: readonly ClassifiedCampaign[],
  window: RowWindow,
  state?: RotationTargetState,
): Promise<RotationTarget[]> {
  const rows = await db
    .selectFrom(rotationTargetRows(db, incidentId, accountId, campaigns, window).as('r'))
    .selectAll('r')
    .$if(state !== undefined, (query) => query.where('r.state', '=', state ?? 'exempt'))
    .orderBy('r.id')
    .limit(window.limit)
    .execute();
  return rows.map((row) => toRotationTarget(row as unknown as Record<string, unknown>));
}

/** The account's rotation targets counted per state and exempt reason. ONE grouped statement. */
export async function countRotationTargets(
  db: Queryable,
  incidentId: number,
  accountId: number,
  campaigns: readonly ClassifiedCampaign[],
): Promise<Array<{ state: RotationTargetState; exempt_reason: RotationExemptReason | null; users: number }>> {
  const rows = await db
    .selectFrom(rotationTargetRows(db, incidentId, accountId, campaigns, ALL_IDS).as('r'))
    .select((eb) => ['r.state', 'r.exempt_reason', eb.fn.countAll<number>().as('users')])
    .groupBy(['r.state', 'r.exempt_reason'])
    .execute();
  return rows.map((row) => ({
    state: row.state as RotationTargetState,
    exempt_reason: row.exempt_reason ?? null,
    users: Number(row.users),
  }));
}
