import type { Queryable } from '../../db/database.js';
import type { CampaignRow } from './campaigns.repo.js';

/*
 * The statements of one rotation batch (rotation-batch.service.ts runs them
 * in one transaction), each ONE statement over the batch's targets still
 * unflagged: that filter is what makes a batch run twice change nothing.
 */

/** The count of the batch's targets still unflagged, as a query: `openBatch` adds it to `done`, `countUnflaggedTargets` reads it. */
const unflaggedTargetCount = (db: Queryable, campaignId: number, batch: number) =>
  db
    .selectFrom('campaign_targets')
    .select((eb) => eb.fn.countAll<number>().as('targets'))
    .where('campaign_id', '=', campaignId)
    .where('batch', '=', batch)
    .where('flagged_at', 'is', null);

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
    .set((eb) => ({ done: eb('done', '+', unflaggedTargetCount(db, campaignId, batch)) }))
    .where('id', '=', campaignId)
    .where('state', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

/**
 * A batch target the batch does not simply flag: its exposed password is
 * gone (no credential, or one set at or after the cutoff: `changed`), or its
 * credential carries another incident's flag, which the batch takes over
 * (`other_incident_id`, with the hash it holds).
 */
export interface BatchException {
  account_id: number;
  user_id: number;
  changed: boolean;
  other_incident_id: number | null;
  password_hash: string | null;
}

/**
 * ONE read of the batch's unflagged targets and their credentials, returning
 * only the exceptions: one pass over the batch answers both which targets
 * changed their password since the freeze and which take over another
 * incident's flag. Run only when the plain flag left targets unflagged.
 */
export async function batchExceptions(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'incident_id' | 'cutoff'>,
  batch: number,
): Promise<BatchException[]> {
  const incidentId = Number(campaign.incident_id);
  const rows = await db
    .selectFrom('campaign_targets as target')
    .leftJoin('password_credentials as credential', (join) =>
      join.onRef('credential.account_id', '=', 'target.account_id').onRef('credential.user_id', '=', 'target.user_id'),
    )
    .select([
      'target.account_id',
      'target.user_id',
      'credential.password_changed_at',
      'credential.must_change_incident_id',
      'credential.password_hash',
    ])
    .where('target.campaign_id', '=', Number(campaign.id))
    .where('target.batch', '=', batch)
    .where('target.flagged_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('credential.user_id', 'is', null),
        eb('credential.password_changed_at', '>=', campaign.cutoff),
        eb.and([eb('credential.must_change_incident_id', 'is not', null), eb('credential.must_change_incident_id', '!=', incidentId)]),
      ]),
    )
    .execute();
  return rows.map((row) => {
    const changed = row.password_changed_at === null || row.password_changed_at >= campaign.cutoff;
    return {
      account_id: Number(row.account_id),
      user_id: Number(row.user_id),
      changed,
      other_incident_id: changed || row.must_change_incident_id === null ? null : Number(row.must_change_incident_id),
      password_hash: row.password_hash,
    };
  });
}

/**
 * ONE UPDATE: settles the batch's unflagged targets who no longer hold a
 * password set before the cutoff (they set a new one after the targets were
 * frozen), marking them changed before rotation so the batch leaves them alone.
 * Run only when `batchExceptions` found such targets.
 */
export async function settleChangedTargets(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'cutoff'>,
  batch: number,
  now: string,
): Promise<number> {
  const result = await db
    .updateTable('campaign_targets')
    .set({ flagged_at: now, changed_before_rotation: 1 })
    .where('campaign_id', '=', Number(campaign.id))
    .where('batch', '=', batch)
    .where('flagged_at', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('password_credentials as credential')
            .select('credential.user_id')
            .whereRef('credential.account_id', '=', 'campaign_targets.account_id')
            .whereRef('credential.user_id', '=', 'campaign_targets.user_id')
            .where('credential.password_changed_at', '<', campaign.cutoff),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** How many of the batch's targets are still unflagged: what its first flag compares against. */
export async function countUnflaggedTargets(db: Queryable, campaignId: number, batch: number): Promise<number> {
  const row = await unflaggedTargetCount(db, campaignId, batch).executeTakeFirstOrThrow();
  return Number(row.targets);
}

/**
 * ONE UPDATE: forces a new password for the batch's unflagged targets, with
 * the incident as reason: `plain`, only those no incident has flagged (the
 * usual case, needing no exception handled first); else all but those this
 * incident flagged already (after `batchExceptions` was dealt with).
 */
export async function flagBatchCredentials(
  db: Queryable,
  campaign: Pick<CampaignRow, 'id' | 'incident_id' | 'cutoff'>,
  batch: number,
  which: 'plain' | 'all',
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
    // Checked again here: a password set since the freeze (or since the batch read its exceptions) is not the exposed one.
    .where('password_credentials.password_changed_at', '<', campaign.cutoff)
    .where((eb) =>
      which === 'plain'
        ? eb('password_credentials.must_change_incident_id', 'is', null)
        : eb.or([
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

/** Marks the batch's targets flagged (a later run of the batch finds nothing to do); returns how many per account, for the audit trail. */
export async function markBatchFlagged(
  db: Queryable,
  campaignId: number,
  batch: number,
  now: string,
): Promise<Array<{ accountId: number; users: number }>> {
  const rows = await db
    .updateTable('campaign_targets')
    .set({ flagged_at: now })
    .where('campaign_id', '=', campaignId)
    .where('batch', '=', batch)
    .where('flagged_at', 'is', null)
    .returning('account_id')
    .execute();
  const users = new Map<number, number>();
  for (const row of rows) users.set(Number(row.account_id), (users.get(Number(row.account_id)) ?? 0) + 1);
  return [...users].sort(([a], [b]) => a - b).map(([accountId, count]) => ({ accountId, users: count }));
}
