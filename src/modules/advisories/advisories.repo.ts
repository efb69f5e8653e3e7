import type { Selectable } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type {
  AdvisoriesTable,
  AdvisoryRevisionsTable,
  AdvisoryTranslationsTable,
  AdvisoryUpdateBodiesTable,
  AdvisoryUpdatesTable,
} from '../../db/schema.js';

export type AdvisoryRow = Selectable<AdvisoriesTable>;
export type AdvisoryTranslationRow = Selectable<AdvisoryTranslationsTable>;
export type AdvisoryRevisionRow = Selectable<AdvisoryRevisionsTable>;
export type AdvisoryUpdateRow = Selectable<AdvisoryUpdatesTable>;
export type AdvisoryUpdateBodyRow = Selectable<AdvisoryUpdateBodiesTable>;

export const ADVISORY_ID_SEQUENCE = 'advisories';

// Updates and revisions are append-only: this module offers inserts and reads
// for them and nothing else (advisories.service.test.ts checks it).

export async function insertAdvisory(db: Queryable, row: AdvisoryRow): Promise<void> {
  await db.insertInto('advisories').values(row).execute();
}

export async function findAdvisory(db: Queryable, id: number): Promise<AdvisoryRow | undefined> {
  return db.selectFrom('advisories').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAdvisoryRows(db: Queryable): Promise<AdvisoryRow[]> {
  return db.selectFrom('advisories').selectAll().orderBy('id', 'desc').execute();
}

/**
 * Stamps `updated_at` (and any `changes`) and returns the row. The UPDATE
 * row-locks the advisory on PostgreSQL (SQLite has one writer), so revision
 * and update numbers taken later in the transaction follow one another.
 */
export async function touchAdvisory(
  db: Queryable,
  id: number,
  changes: Partial<Pick<AdvisoryRow, 'state' | 'published_at'>> & { updated_at: string },
): Promise<AdvisoryRow | undefined> {
  return db.updateTable('advisories').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function findTranslation(db: Queryable, advisoryId: number, locale: string): Promise<AdvisoryTranslationRow | undefined> {
  return db
    .selectFrom('advisory_translations')
    .selectAll()
    .where('advisory_id', '=', advisoryId)
    .where('locale', '=', locale)
    .executeTakeFirst();
}

export async function listTranslations(db: Queryable, advisoryIds: readonly number[]): Promise<AdvisoryTranslationRow[]> {
  if (advisoryIds.length === 0) return [];
  return db
    .selectFrom('advisory_translations')
    .selectAll()
    .where('advisory_id', 'in', advisoryIds)
    .orderBy('advisory_id')
    .orderBy('locale')
    .execute();
}

/** Points a locale at its newest revision (insert or replace the pointer row; the revision itself is in `advisory_revisions`). */
export async function saveTranslationHead(db: Queryable, row: AdvisoryTranslationRow): Promise<void> {
  const changes = {
    revision: row.revision,
    source_revision: row.source_revision,
    machine_translated: row.machine_translated,
    title: row.title,
    body: row.body,
    edited_at: row.edited_at,
  };
  await db
    .insertInto('advisory_translations')
    .values(row)
    .onConflict((conflict) => conflict.columns(['advisory_id', 'locale']).doUpdateSet(changes))
    .execute();
}

export async function insertRevision(db: Queryable, row: AdvisoryRevisionRow): Promise<void> {
  await db.insertInto('advisory_revisions').values(row).execute();
}

export async function listRevisions(db: Queryable, advisoryId: number, locale?: string): Promise<AdvisoryRevisionRow[]> {
  let query = db.selectFrom('advisory_revisions').selectAll().where('advisory_id', '=', advisoryId);
  if (locale !== undefined) query = query.where('locale', '=', locale);
  return query.orderBy('locale').orderBy('revision').execute();
}

/** Appends an update with the next number; call after `touchAdvisory` in the same transaction. */
export async function appendUpdate(db: Queryable, update: Omit<AdvisoryUpdateRow, 'seq'>): Promise<number> {
  const last = await db
    .selectFrom('advisory_updates')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('advisory_id', '=', update.advisory_id)
    .executeTakeFirst();
  const seq = Number(last?.seq ?? 0) + 1;
  await db
    .insertInto('advisory_updates')
    .values({ ...update, seq })
    .execute();
  return seq;
}

export async function findUpdate(db: Queryable, advisoryId: number, seq: number): Promise<AdvisoryUpdateRow | undefined> {
  return db.selectFrom('advisory_updates').selectAll().where('advisory_id', '=', advisoryId).where('seq', '=', seq).executeTakeFirst();
}

export async function listUpdates(db: Queryable, advisoryId: number): Promise<AdvisoryUpdateRow[]> {
  return db.selectFrom('advisory_updates').selectAll().where('advisory_id', '=', advisoryId).orderBy('seq').execute();
}

/** Writes one locale's text of an update; the primary key refuses a second one. */
export async function insertUpdateBody(db: Queryable, row: AdvisoryUpdateBodyRow): Promise<void> {
  await db.insertInto('advisory_update_bodies').values(row).execute();
}

export async function findUpdateBody(
  db: Queryable,
  advisoryId: number,
  seq: number,
  locale: string,
): Promise<AdvisoryUpdateBodyRow | undefined> {
  return db
    .selectFrom('advisory_update_bodies')
    .selectAll()
    .where('advisory_id', '=', advisoryId)
    .where('seq', '=', seq)
    .where('locale', '=', locale)
    .executeTakeFirst();
}

export async function listUpdateBodies(db: Queryable, advisoryId: number): Promise<AdvisoryUpdateBodyRow[]> {
  return db
    .selectFrom('advisory_update_bodies')
    .selectAll()
    .where('advisory_id', '=', advisoryId)
    .orderBy('seq')
    .orderBy('locale')
    .execute();
}

/** The newest published advisory of an incident and the locales it is written in. */
export async function findPublishedAdvisoryForIncident(
  db: Queryable,
  incidentId: number,
): Promise<{ id: number; sourceLocale: string; locales: string[] } | undefined> {
  const advisory = await db
    .selectFrom('advisories')
    .select(['id', 'source_locale'])
    .where('incident_id', '=', incidentId)
    .where('state', '=', 'published')
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (advisory === undefined) return undefined;
  const locales = await db.selectFrom('advisory_translations').select('locale').where('advisory_id', '=', advisory.id).execute();
  return { id: advisory.id, sourceLocale: advisory.source_locale, locales: locales.map((row) => row.locale) };
}
