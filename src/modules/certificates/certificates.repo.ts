import { chunks, rowsPerStatement } from '../../db/bulk-insert.js';
import type { Queryable } from '../../db/database.js';
import { type CertificateRecord, type CertificateRow } from './certificates.model.js';

/** Certificates take their ids from this sequence (`reserveIds`). */
export const CERTIFICATE_ID_SEQUENCE = 'certificates';
/** The row of `certificate_changes` that moves with what the HTTPS servers serve. */
const SERVING_SCOPE = 'serving';

/** Every column but the sealed key: reads that do not serve TLS never load it. */
const RECORD_COLUMNS = [
  'account_id',
  'id',
  'state',
  'hostnames',
  'subject',
  'issuer',
  'serial_number',
  'not_before',
  'not_after',
  'fingerprint_sha256',
  'key_algorithm',
  'key_bits',
  'key_curve',
  'certificate_pem',
  'source',
  'uploaded_by',
  'uploaded_at',
  'activated_at',
  'superseded_at',
  'superseded_by',
  'revoked_at',
  'revoked_by',
] as const satisfies ReadonlyArray<keyof CertificateRecord>;

// A column added by a later migration must be added to the list above: this fails to compile until it is.
const everyRecordColumn: Record<Exclude<keyof CertificateRecord, (typeof RECORD_COLUMNS)[number]>, never> = {};
void everyRecordColumn;

export interface PageWindow {
  afterId: number | null;
  offset: number;
  limit: number;
}

/** Inserts certificates in multi-row statements; the caller owns the transaction and the ids. */
export async function insertCertificates(db: Queryable, rows: readonly CertificateRow[], maxParameters: number): Promise<void> {
  for (const batch of chunks(rows, rowsPerStatement(RECORD_COLUMNS.length + 1, maxParameters))) {
    await db.insertInto('certificates').values(batch).execute();
  }
}

/** One page of an account's certificates by id: after a cursor, or at an offset. */
export async function listCertificatesPage(db: Queryable, accountId: number, window: PageWindow): Promise<CertificateRecord[]> {
  let query = db.selectFrom('certificates').select(RECORD_COLUMNS).where('account_id', '=', accountId);
  if (window.afterId !== null) query = query.where('id', '>', window.afterId);
  return query.orderBy('id').limit(window.limit).offset(window.offset).execute();
}

export async function countCertificates(db: Queryable, accountId: number, state?: CertificateRow['state']): Promise<number> {
  let query = db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('account_id', '=', accountId);
  if (state !== undefined) query = query.where('state', '=', state);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findCertificate(db: Queryable, accountId: number, id: number): Promise<CertificateRecord | undefined> {
  return db.selectFrom('certificates').select(RECORD_COLUMNS).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** A certificate of the account with this fingerprint that is not revoked, if any. */
export async function findUnrevokedByFingerprint(
  db: Queryable,
  accountId: number,
  fingerprint: string,
): Promise<CertificateRecord | undefined> {
  return db
    .selectFrom('certificates')
    .select(RECORD_COLUMNS)
    .where('account_id', '=', accountId)
    .where('fingerprint_sha256', '=', fingerprint)
    .where('state', '<>', 'revoked')
    .executeTakeFirst();
}

/** The account's active certificates, newest activation first. */
export async function findActiveCertificates(db: Queryable, accountId: number): Promise<CertificateRecord[]> {
  return db
    .selectFrom('certificates')
    .select(RECORD_COLUMNS)
    .where('account_id', '=', accountId)
    .where('state', '=', 'active')
    .orderBy('activated_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Makes a pending or superseded certificate the active one; returns whether it was in such a state. */
export async function markCertificateActive(db: Queryable, accountId: number, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('certificates')
    .set({ state: 'active', activated_at: now, superseded_at: null, superseded_by: null })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('state', 'in', ['pending', 'superseded'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Marks active certificates as superseded by `supersededBy`, in one statement. */
export async function markCertificatesSuperseded(
  db: Queryable,
  accountId: number,
  ids: readonly number[],
  supersededBy: number,
  now: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('certificates')
    .set({ state: 'superseded', superseded_at: now, superseded_by: supersededBy })
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .where('state', '=', 'active')
    .execute();
}

/** Revokes a certificate that is not revoked yet; returns whether it changed. */
export async function markCertificateRevoked(
  db: Queryable,
  accountId: number,
  id: number,
  now: string,
  by: number | null,
): Promise<boolean> {
  const result = await db
    .updateTable('certificates')
    .set({ state: 'revoked', revoked_at: now, revoked_by: by })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('state', '<>', 'revoked')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Moves the serving change marker. Call it first in a transaction that
 * changes what is served: on PostgreSQL the row lock it takes also orders
 * concurrent activations and revocations, so two never both win.
 */
export async function bumpCertificateChanges(db: Queryable, now: string): Promise<void> {
  await db
    .insertInto('certificate_changes')
    .values({ scope: SERVING_SCOPE, version: 1, changed_at: now })
    .onConflict((oc) => oc.column('scope').doUpdateSet((eb) => ({ version: eb('certificate_changes.version', '+', 1), changed_at: now })))
    .execute();
}

/** The serving change marker: one primary-key read, cheap enough to poll every second. */
export async function readCertificateChangesVersion(db: Queryable): Promise<number> {
  const row = await db.selectFrom('certificate_changes').select('version').where('scope', '=', SERVING_SCOPE).executeTakeFirst();
  return row === undefined ? 0 : Number(row.version);
}

/**
 * The active, unexpired certificates of the account whose mapped domain is
 * `host`, with their sealed keys, newest activation first. A confidential
 * read, for the TLS server only.
 */
export async function findServableCertificatesConfidential(
  db: Queryable,
  host: string,
  now: string,
): Promise<
  Array<
    Pick<CertificateRow, 'account_id' | 'id' | 'hostnames' | 'certificate_pem' | 'private_key_sealed' | 'fingerprint_sha256' | 'not_after'>
  >
> {
  return db
    .selectFrom('certificates as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .select(['c.account_id', 'c.id', 'c.hostnames', 'c.certificate_pem', 'c.private_key_sealed', 'c.fingerprint_sha256', 'c.not_after'])
    .where('a.host_mapping', '=', host)
    .where('c.state', '=', 'active')
    .where('c.not_before', '<=', now)
    .where('c.not_after', '>', now)
    .orderBy('c.activated_at', 'desc')
    .orderBy('c.id', 'desc')
    .execute();
}

/** What the import compares with: each account's certificates, without keys or chains. */
export type CertificateTimelineRow = Pick<
  CertificateRow,
  'account_id' | 'id' | 'state' | 'hostnames' | 'fingerprint_sha256' | 'uploaded_at' | 'not_after'
>;

export async function findCertificateTimelines(
  db: Queryable,
  accountIds: readonly number[],
  maxParameters: number,
): Promise<CertificateTimelineRow[]> {
  const rows: CertificateTimelineRow[] = [];
  for (const batch of chunks(accountIds, rowsPerStatement(1, maxParameters))) {
    rows.push(
      ...(await db
        .selectFrom('certificates')
        .select(['account_id', 'id', 'state', 'hostnames', 'fingerprint_sha256', 'uploaded_at', 'not_after'])
        .where('account_id', 'in', batch)
        .execute()),
    );
  }
  return rows.map((row) => ({ ...row, account_id: Number(row.account_id), id: Number(row.id) }));
}

export interface ExposedCertificateRow {
  account_id: number;
  subdomain: string;
  id: number;
  state: CertificateRow['state'];
  hostnames: string;
  fingerprint_sha256: string;
  uploaded_at: string;
  not_after: string;
}

export interface ExposureQuery {
  uploadedBefore: string;
  now: string;
  accountId?: number;
}

/**
 * Certificates uploaded before the cutoff that are still valid and not
 * revoked: one statement, ordered by (account, id), a page at a time after
 * `after`.
 */
export async function listExposedCertificatesPage(
  db: Queryable,
  query: ExposureQuery,
  after: { accountId: number; id: number } | null,
  limit: number,
): Promise<ExposedCertificateRow[]> {
  let select = db
    .selectFrom('certificates as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .select(['c.account_id', 'a.subdomain', 'c.id', 'c.state', 'c.hostnames', 'c.fingerprint_sha256', 'c.uploaded_at', 'c.not_after'])
    .where('c.uploaded_at', '<', query.uploadedBefore)
    .where('c.not_after', '>', query.now)
    .where('c.state', '<>', 'revoked');
  if (query.accountId !== undefined) select = select.where('c.account_id', '=', query.accountId);
  if (after !== null) {
    select = select.where((eb) =>
      eb.or([eb('c.account_id', '>', after.accountId), eb.and([eb('c.account_id', '=', after.accountId), eb('c.id', '>', after.id)])]),
    );
  }
  const rows = await select.orderBy('c.account_id').orderBy('c.id').limit(limit).execute();
  return rows.map((row) => ({ ...row, account_id: Number(row.account_id), id: Number(row.id) }));
}

export interface ExposureCountRow {
  account_id: number;
  subdomain: string;
  certificates: number;
  active: number;
  earliest_uploaded_at: string;
}

/** Per account: how many certificates the exposure rule matches, and how many of them are being served. */
export async function countExposedCertificatesByAccount(db: Queryable, query: ExposureQuery): Promise<ExposureCountRow[]> {
  let select = db
    .selectFrom('certificates as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .select((eb) => [
      'c.account_id',
      'a.subdomain',
      eb.fn.countAll<number>().as('certificates'),
      eb.fn.sum<number>(eb.case().when('c.state', '=', 'active').then(1).else(0).end()).as('active'),
      eb.fn.min('c.uploaded_at').as('earliest_uploaded_at'),
    ])
    .where('c.uploaded_at', '<', query.uploadedBefore)
    .where('c.not_after', '>', query.now)
    .where('c.state', '<>', 'revoked');
  if (query.accountId !== undefined) select = select.where('c.account_id', '=', query.accountId);
  const rows = await select.groupBy(['c.account_id', 'a.subdomain']).orderBy('c.account_id').execute();
  return rows.map((row) => ({
    account_id: Number(row.account_id),
    subdomain: row.subdomain,
    certificates: Number(row.certificates),
    active: Number(row.active),
    earliest_uploaded_at: String(row.earliest_uploaded_at),
  }));
}
