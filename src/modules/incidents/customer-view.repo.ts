import type { Queryable } from '../../db/database.js';
import type { IncidentRow } from './incidents.repo.js';
import type { ScopeAccountRow } from './scope.repo.js';

/** The web sessions a rotation campaign revoked carry this reason (rotation-batch.service.ts). */
const ROTATION_SESSION_REASON = 'password_rotation';

export type AffectingIncidentRow = IncidentRow &
  Pick<ScopeAccountRow, 'version' | 'categories' | 'people_agents' | 'people_end_users' | 'records' | 'hash_tiers'>;

/**
 * The incidents whose latest scope version includes the account, open or
 * closed at or after `closedSince`, newest first. One statement.
 */
export async function listAffectingIncidents(
  db: Queryable,
  accountId: number,
  closedSince: string,
  incidentId?: number,
): Promise<AffectingIncidentRow[]> {
  let query = db
    .selectFrom('incidents')
    .innerJoin('scope_accounts as scoped', 'scoped.incident_id', 'incidents.id')
    .selectAll('incidents')
    .select([
      'scoped.version',
      'scoped.categories',
      'scoped.people_agents',
      'scoped.people_end_users',
      'scoped.records',
      'scoped.hash_tiers',
    ])
    .where('scoped.account_id', '=', accountId)
    .where((eb) =>
      eb(
        'scoped.version',
        '=',
        eb
          .selectFrom('scope_versions as latest')
          .select((inner) => inner.fn.max('latest.version').as('version'))
          .whereRef('latest.incident_id', '=', 'incidents.id'),
      ),
    )
    .where((eb) => eb.or([eb('incidents.closed_at', 'is', null), eb('incidents.closed_at', '>=', closedSince)]));
  if (incidentId !== undefined) query = query.where('incidents.id', '=', incidentId);
  return query.orderBy('incidents.became_aware_at', 'desc').orderBy('incidents.id', 'desc').execute();
}

export interface AccountRotationRow {
  targets: number;
  changed: number;
  campaigns: number;
}

/**
 * The account's users targeted by the incident's rotation campaigns (those of
 * a cancelled campaign only when flagged before it stopped), and those who
 * have set a new password since being flagged. Users are counted once even
 * when several campaigns target them. Undefined when no campaign has run.
 */
export async function accountRotation(db: Queryable, incidentId: number, accountId: number): Promise<AccountRotationRow | undefined> {
  const row = await db
    .selectFrom('campaign_targets as target')
    .innerJoin('rotation_campaigns as campaign', 'campaign.id', 'target.campaign_id')
    .leftJoin('password_credentials as credential', (join) =>
      join.onRef('credential.account_id', '=', 'target.account_id').onRef('credential.user_id', '=', 'target.user_id'),
    )
    .select((eb) => [
      eb.fn.count<number>('target.user_id').distinct().as('targets'),
      eb.fn
        .count<number>(
          eb
            .case()
            .when(
              eb.and([
                eb('target.flagged_at', 'is not', null),
                eb.or([eb('credential.must_change', '=', 0), eb('credential.password_changed_at', '>', eb.ref('target.flagged_at'))]),
              ]),
            )
            .then(eb.ref('target.user_id'))
            .end(),
        )
        .distinct()
        .as('changed'),
      eb.fn.count<number>('campaign.id').distinct().as('campaigns'),
    ])
    .where('campaign.incident_id', '=', incidentId)
    .where('target.account_id', '=', accountId)
    .where((eb) => eb.or([eb('campaign.state', '<>', 'cancelled'), eb('target.flagged_at', 'is not', null)]))
    .executeTakeFirst();
  if (row === undefined || Number(row.targets) === 0) return undefined;
  return { targets: Number(row.targets), changed: Number(row.changed), campaigns: Number(row.campaigns) };
}

export interface AccountMeasuresRow {
  sessionsRevoked: number;
  installationsRotated: number;
  certificatesRevoked: number;
}

/**
 * What was already done for one account: web sessions of the incident's
 * rotation targets revoked by rotation, installations made before the cutoff
 * whose secrets have all been set again since, certificates uploaded before
 * the cutoff that are now revoked.
 */
export async function accountMeasures(db: Queryable, incidentId: number, accountId: number, cutoff: string): Promise<AccountMeasuresRow> {
  const [sessions, installations, certificates] = await Promise.all([
    db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('sessions.account_id', '=', accountId)
      .where('sessions.revoked_reason', '=', ROTATION_SESSION_REASON)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('campaign_targets as target')
            .innerJoin('rotation_campaigns as campaign', 'campaign.id', 'target.campaign_id')
            .select('target.user_id')
            .where('campaign.incident_id', '=', incidentId)
            .whereRef('target.account_id', '=', 'sessions.account_id')
            .whereRef('target.user_id', '=', 'sessions.user_id'),
        ),
      )
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('app_installations as i')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('i.account_id', '=', accountId)
      .where('i.created_at', '<', cutoff)
      .where((eb) =>
        eb.and([
          eb.exists(
            eb
              .selectFrom('installation_secrets as s')
              .select('s.field')
              .whereRef('s.account_id', '=', 'i.account_id')
              .whereRef('s.installation_id', '=', 'i.id'),
          ),
          eb.not(
            eb.exists(
              eb
                .selectFrom('installation_secrets as s')
                .select('s.field')
                .whereRef('s.account_id', '=', 'i.account_id')
                .whereRef('s.installation_id', '=', 'i.id')
                .where('s.set_at', '<', cutoff),
            ),
          ),
        ]),
      )
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('certificates')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('account_id', '=', accountId)
      .where('uploaded_at', '<', cutoff)
      .where('state', '=', 'revoked')
      .executeTakeFirstOrThrow(),
  ]);
  return {
    sessionsRevoked: Number(sessions.count),
    installationsRotated: Number(installations.count),
    certificatesRevoked: Number(certificates.count),
  };
}

/** The account as the data controller: its names and where to reach it. */
export async function findControllerAccount(db: Queryable, subdomain: string) {
  return db
    .selectFrom('accounts')
    .select(['id', 'subdomain', 'name', 'owner_email', 'security_contact_email'])
    .where('subdomain', '=', subdomain)
    .executeTakeFirst();
}
