import type { Selectable } from 'kysely';
import { chunks } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { IncidentExposuresTable } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { isExposureCategory, type Exposure } from './exposures.model.js';
import { parseSelector } from './selectors/selector.model.js';

export type ExposureRow = Selectable<IncidentExposuresTable>;

/** A stored exposure as the services read it; the selector is validated again, whatever wrote it. */
export function exposureOf(row: ExposureRow): Exposure {
  if (!isExposureCategory(row.category))
    throw new AppError('CorruptExposure', 'A stored exposure could not be read.', {
      detail: `incident_exposures ${row.incident_id}/${row.id} has unknown category ${row.category}`,
    });
  return {
    id: Number(row.id),
    category: row.category,
    target:
      row.kind === 'selector'
        ? { kind: 'selector', selector: parseSelector(JSON.parse(row.selector ?? 'null')) }
        : { kind: 'accounts', accountIds: JSON.parse(row.account_ids ?? '[]') as number[] },
    addedAt: row.added_at,
    removedAt: row.removed_at,
  };
}

export const EXPOSURE_ID_SEQUENCE = 'incident_exposures';

// Well under both backends' parameter limits (SQLite 32,766, PostgreSQL 65,535).
const LOOKUP_CHUNK = 5_000;

export async function insertExposure(db: Queryable, row: ExposureRow): Promise<void> {
  await db.insertInto('incident_exposures').values(row).execute();
}

export async function findExposure(db: Queryable, incidentId: number, id: number): Promise<ExposureRow | undefined> {
  return db.selectFrom('incident_exposures').selectAll().where('incident_id', '=', incidentId).where('id', '=', id).executeTakeFirst();
}

/** The exposures in force (not removed), oldest first. */
export async function listActiveExposures(db: Queryable, incidentId: number): Promise<ExposureRow[]> {
  return db
    .selectFrom('incident_exposures')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('removed_at', 'is', null)
    .orderBy('id')
    .execute();
}

/** Marks an exposure removed; false when it was already removed or does not exist. */
export async function markExposureRemoved(db: Queryable, incidentId: number, id: number, removedAt: string): Promise<boolean> {
  const result = await db
    .updateTable('incident_exposures')
    .set({ removed_at: removedAt })
    .where('incident_id', '=', incidentId)
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** `id` and `subdomain` of the accounts among `ids`, a few statements for any number of ids. */
export async function findAccountsByIds(db: Queryable, ids: readonly number[]): Promise<Array<{ id: number; subdomain: string }>> {
  const found: Array<{ id: number; subdomain: string }> = [];
  for (const batch of chunks(ids, LOOKUP_CHUNK)) {
    found.push(...(await db.selectFrom('accounts').select(['id', 'subdomain']).where('id', 'in', batch).execute()));
  }
  return found;
}

export async function findAccountsBySubdomains(
  db: Queryable,
  subdomains: readonly string[],
): Promise<Array<{ id: number; subdomain: string }>> {
  const found: Array<{ id: number; subdomain: string }> = [];
  for (const batch of chunks(subdomains, LOOKUP_CHUNK)) {
    found.push(...(await db.selectFrom('accounts').select(['id', 'subdomain']).where('subdomain', 'in', batch).execute()));
  }
  return found;
}
