import type { Selectable } from 'kysely';
import { chunks, rowsPerStatement } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import type { AppInstallationsTable, InstallationSecretsTable } from '../../db/schema.js';

export type InstallationRow = Selectable<AppInstallationsTable>;
export type InstallationSecretRow = Selectable<InstallationSecretsTable>;
/** What may be said about a secure setting: that it is set, and since when. Never its value. */
export type SecretState = Pick<InstallationSecretRow, 'installation_id' | 'field' | 'set_at'>;

/** Installations take their ids from this sequence (`reserveIds`). */
export const INSTALLATION_ID_SEQUENCE = 'app_installations';

export interface PageWindow {
  afterId: number | null;
  offset: number;
  limit: number;
}

const INSTALLATION_COLUMNS = 9;
const SECRET_COLUMNS = 5;

/** Inserts installations in multi-row statements under the parameter limit; the caller owns the transaction. */
export async function insertInstallations(db: Queryable, rows: readonly InstallationRow[], maxParameters: number): Promise<void> {
  for (const batch of chunks(rows, rowsPerStatement(INSTALLATION_COLUMNS, maxParameters))) {
    await db.insertInto('app_installations').values(batch).execute();
  }
}

/** Sets secure values: inserted, or replaced with their new `set_at` (a rotation). */
export async function upsertSecrets(db: Queryable, rows: readonly InstallationSecretRow[], maxParameters: number): Promise<void> {
  for (const batch of chunks(rows, rowsPerStatement(SECRET_COLUMNS, maxParameters))) {
    await db
      .insertInto('installation_secrets')
      .values(batch)
      .onConflict((conflict) =>
        conflict.columns(['account_id', 'installation_id', 'field']).doUpdateSet((eb) => ({
          sealed: eb.ref('excluded.sealed'),
          set_at: eb.ref('excluded.set_at'),
        })),
      )
      .execute();
  }
}

export async function deleteSecrets(db: Queryable, accountId: number, installationId: number, fields: readonly string[]): Promise<void> {
  if (fields.length === 0) return;
  await db
    .deleteFrom('installation_secrets')
    .where('account_id', '=', accountId)
    .where('installation_id', '=', installationId)
    .where('field', 'in', fields)
    .execute();
}

export async function findInstallation(db: Queryable, accountId: number, id: number): Promise<InstallationRow | undefined> {
  return db.selectFrom('app_installations').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** One page of an account's installations by id: after a cursor, or at an offset. */
export async function listInstallationsPage(db: Queryable, accountId: number, window: PageWindow): Promise<InstallationRow[]> {
  let query = db.selectFrom('app_installations').selectAll().where('account_id', '=', accountId);
  if (window.afterId !== null) query = query.where('id', '>', window.afterId);
  return query.orderBy('id').limit(window.limit).offset(window.offset).execute();
}

export async function countInstallations(db: Queryable, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('app_installations')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Which secure settings of these installations are set, and since when: one statement, no sealed values. */
export async function readSecretStates(db: Queryable, accountId: number, installationIds: readonly number[]): Promise<SecretState[]> {
  if (installationIds.length === 0) return [];
  return db
    .selectFrom('installation_secrets')
    .select(['installation_id', 'field', 'set_at'])
    .where('account_id', '=', accountId)
    .where('installation_id', 'in', installationIds)
    .orderBy('installation_id')
    .orderBy('field')
    .execute();
}

export async function updateInstallationRow(
  db: Queryable,
  accountId: number,
  id: number,
  changes: Pick<InstallationRow, 'settings' | 'enabled' | 'updated_at'>,
): Promise<void> {
  await db.updateTable('app_installations').set(changes).where('account_id', '=', accountId).where('id', '=', id).execute();
}

/** Deletes an installation and its secure values; returns whether it existed. */
export async function deleteInstallationRow(db: Queryable, accountId: number, id: number): Promise<boolean> {
  await db.deleteFrom('installation_secrets').where('account_id', '=', accountId).where('installation_id', '=', id).execute();
  const result = await db.deleteFrom('app_installations').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * The sealed value of one secure setting: a confidential read, for the
 * decryption that an integration needs and nothing else.
 */
export async function findSealedSecretForDecryption(
  db: Queryable,
  accountId: number,
  installationId: number,
  field: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('installation_secrets')
    .select('sealed')
    .where('account_id', '=', accountId)
    .where('installation_id', '=', installationId)
    .where('field', '=', field)
    .executeTakeFirst();
  return row?.sealed;
}

/** An installation's natural key in an import: account, app and the time it was installed. */
export interface InstallationNaturalKey {
  account_id: number;
  app_id: number;
  created_at: string;
}

export const installationKeyText = (key: InstallationNaturalKey): string => `${key.account_id}\u0000${key.app_id}\u0000${key.created_at}`;

/**
 * Which of `keys` exist already, as `installationKeyText` strings (with
 * perhaps a few other keys of the same accounts, which no caller asks about):
 * accounts `IN` and installation times `IN`, one statement per batch.
 */
export async function findExistingInstallationKeys(
  db: Queryable,
  keys: readonly InstallationNaturalKey[],
  maxParameters: number,
): Promise<Set<string>> {
  const existing = new Set<string>();
  const perStatement = Math.max(1, Math.floor(maxParameters / 2));
  for (const batch of chunks(keys, perStatement)) {
    const rows = await db
      .selectFrom('app_installations')
      .select(['account_id', 'app_id', 'created_at'])
      .where('account_id', 'in', [...new Set(batch.map((key) => key.account_id))])
      .where('created_at', 'in', [...new Set(batch.map((key) => key.created_at))])
      .execute();
    for (const row of rows)
      existing.add(installationKeyText({ account_id: Number(row.account_id), app_id: Number(row.app_id), created_at: row.created_at }));
  }
  return existing;
}

/** An installation whose secure settings have not been set since a cutoff. */
export interface ExposedInstallationRow {
  account_id: number;
  id: number;
  app_id: number;
  product: string;
  enabled: number;
  created_at: string;
}

export interface ExposureQuery {
  /** ISO timestamp: installed before it, secure values last set before it. */
  before: string;
  accountId: number | undefined;
  /** Keyset cursor: the last (account, installation) of the previous page. */
  after: { accountId: number; installationId: number } | undefined;
  limit: number;
}

/**
 * One page, in (account, installation) order, of the installations created
 * before `before` that hold at least one secure value last set before it.
 * One statement over the whole table (or one account), whatever the number
 * of accounts.
 */
export async function findExposedInstallations(db: Queryable, query: ExposureQuery): Promise<ExposedInstallationRow[]> {
  let select = db
    .selectFrom('app_installations as i')
    .select(['i.account_id', 'i.id', 'i.app_id', 'i.product', 'i.enabled', 'i.created_at'])
    .where('i.created_at', '<', query.before)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('installation_secrets as s')
          .select('s.field')
          .whereRef('s.account_id', '=', 'i.account_id')
          .whereRef('s.installation_id', '=', 'i.id')
          .where('s.set_at', '<', query.before),
      ),
    );
  if (query.accountId !== undefined) select = select.where('i.account_id', '=', query.accountId);
  const { after } = query;
  if (after !== undefined) {
    select = select.where((eb) =>
      eb.or([
        eb('i.account_id', '>', after.accountId),
        eb.and([eb('i.account_id', '=', after.accountId), eb('i.id', '>', after.installationId)]),
      ]),
    );
  }
  return select.orderBy('i.account_id').orderBy('i.id').limit(query.limit).execute();
}

/** The secure values last set before `before` of these installations (a page of the above). */
export async function findStaleSecrets(
  db: Queryable,
  before: string,
  accountIds: readonly number[],
  installationIds: readonly number[],
): Promise<Array<SecretState & { account_id: number }>> {
  if (accountIds.length === 0 || installationIds.length === 0) return [];
  return db
    .selectFrom('installation_secrets')
    .select(['account_id', 'installation_id', 'field', 'set_at'])
    .where('account_id', 'in', accountIds)
    .where('installation_id', 'in', installationIds)
    .where('set_at', '<', before)
    .orderBy('account_id')
    .orderBy('installation_id')
    .orderBy('field')
    .execute();
}
