import { sql } from 'kysely';
import type { Queryable } from '../../db/database.js';

/** One bucket of a series: how many targets crossed a line (flagged, or changed their password) in it. */
export interface SeriesBucketRow {
  bucket: string;
  users: number;
}

/**
 * ISO-8601 timestamps compare and truncate as text on both databases, so a
 * bucket is a prefix: all 24 characters (each batch its own point), 19 to the
 * second, 16 to the minute, 13 to the hour, 10 to the day.
 */
export type BucketPrefixLength = 10 | 13 | 16 | 19 | 24;

const bucketOf = (column: string, length: BucketPrefixLength) => sql<string>`substr(${sql.ref(column)}, 1, ${sql.lit(length)})`;

/** Targets flagged per bucket of `flagged_at`. */
export async function flaggedPerBucket(db: Queryable, campaignId: number, length: BucketPrefixLength): Promise<SeriesBucketRow[]> {
  const bucket = bucketOf('target.flagged_at', length);
  const rows = await db
    .selectFrom('campaign_targets as target')
    .select((eb) => [bucket.as('bucket'), eb.fn.countAll<number>().as('users')])
    .where('target.campaign_id', '=', campaignId)
    .where('target.flagged_at', 'is not', null)
    .where('target.changed_before_rotation', '=', 0)
    .groupBy(bucket)
    .orderBy(bucket)
    .execute();
  return rows.map((row) => ({ bucket: row.bucket, users: Number(row.users) }));
}

/** Flagged targets who set a new password since, per bucket of `password_changed_at`. */
export async function changedPerBucket(db: Queryable, campaignId: number, length: BucketPrefixLength): Promise<SeriesBucketRow[]> {
  const bucket = bucketOf('credential.password_changed_at', length);
  const rows = await db
    .selectFrom('campaign_targets as target')
    .innerJoin('password_credentials as credential', (join) =>
      join.onRef('credential.account_id', '=', 'target.account_id').onRef('credential.user_id', '=', 'target.user_id'),
    )
    .select((eb) => [bucket.as('bucket'), eb.fn.countAll<number>().as('users')])
    .where('target.campaign_id', '=', campaignId)
    .where('target.flagged_at', 'is not', null)
    .where('target.changed_before_rotation', '=', 0)
    .whereRef('credential.password_changed_at', '>', 'target.flagged_at')
    .groupBy(bucket)
    .orderBy(bucket)
    .execute();
  return rows.map((row) => ({ bucket: row.bucket, users: Number(row.users) }));
}

/** The ids of an incident's rotation campaigns, newest first. */
export async function campaignIdsOfIncident(db: Queryable, incidentId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('rotation_campaigns')
    .select('id')
    .where('incident_id', '=', incidentId)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  return rows.map((row) => Number(row.id));
}
