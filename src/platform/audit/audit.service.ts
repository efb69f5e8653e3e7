import crypto, { type KeyObject } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import type { AuditEventRow } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { Keyring } from '../crypto/keyring.js';
import { securityEventsOf } from './security-events.model.js';
import { insertSecurityEvents } from './security-events.repo.js';
import { personalDataIntact, sealPersonalData, type PersonalData } from './audit-personal-data.js';
import {
  appendEvents,
  chainedAccountIds,
  chainsEndingUnkeyed,
  countEventsByKeyVersion,
  GENESIS_HASH,
  readChainPage,
  readCheckpoint,
  readHead,
  takeHeads,
  type ChainHead,
} from './audit.repo.js';

export type { PersonalData } from './audit-personal-data.js';

/** Events about the platform itself (key rotation, staff accounts) chain under this account id. */
export const PLATFORM_ACCOUNT_ID = 0;

export interface Actor {
  type: 'system' | 'cli' | 'user' | 'staff' | 'api_token' | 'oauth_token';
  id?: string | number | null;
}

export interface AuditEventInput {
  accountId: number;
  actor: Actor;
  action: string;
  target?: { type: string; id: string | number };
  /** Hashed with the chain, kept forever: ids, counts, kinds, never an email, name, phone or IP. */
  data?: Record<string, unknown>;
  /** Personal values about one user, outside the hashed data so that erasure can remove them. */
  personal?: PersonalData;
}

type HashedFields = Omit<AuditEventRow, 'hash' | 'personal_data' | 'personal_salt'>;

/** What writing an audit event needs: the time, and the keyring its HMAC key derives from. */
export interface AuditWriter {
  clock: Clock;
  keyring: Keyring;
}

/**
 * The hashed material: every column but the hash itself, in a fixed order;
 * the personal data only through its digest. Events without personal data
 * (all those written before migration 0012) and without a key version (all
 * those written before migration 0016) hash exactly as they always did.
 */
function eventMaterial(event: HashedFields): string {
  const subject = event.subject_user_id ?? null;
  const digest = event.personal_digest ?? null;
  const personal = subject === null && digest === null ? [] : [subject === null ? null : Number(subject), digest];
  const keyVersion = event.hash_key_version ?? null;
  return JSON.stringify([
    event.prev_hash,
    Number(event.account_id),
    Number(event.seq),
    event.occurred_at,
    event.actor_type,
    event.actor_id,
    event.action,
    event.target_type,
    event.target_id,
    event.data,
    ...personal,
    ...(keyVersion === null ? [] : [{ key_version: Number(keyVersion) }]),
  ]);
}

/** The plain SHA-256 of an event written before the chain was keyed. */
export function hashEvent(event: HashedFields): string {
  return crypto.createHash('sha256').update(eventMaterial(event)).digest('hex');
}

/** The HMAC-SHA256 of an event under the audit key of its `hash_key_version`. */
function macEvent(event: HashedFields, key: KeyObject): string {
  return crypto.createHmac('sha256', key).update(eventMaterial(event)).digest('hex');
}

function currentAuditKey(keyring: Keyring): { version: number; key: KeyObject } {
  const version = keyring.currentVersion;
  return { version, key: keyring.derivedKey('audit-chain', version) as KeyObject };
}

/**
 * Appends events to their accounts' hash chains. Call it with the transaction
 * that makes the change the events record, so both land or neither does.
 *
 * @example
 * await db.transaction().execute(async (tx) => {
 *   await createThing(tx);
 *   await recordAudit(tx, deps, { accountId, actor: { type: 'cli' }, action: 'thing.created' });
 * });
 */
export async function recordAudit(db: Queryable, writer: AuditWriter, ...inputs: AuditEventInput[]): Promise<void> {
  // Taking the head and moving it must be one transaction, or two writers link to the same predecessor.
  if (!db.isTransaction) return db.transaction().execute((tx) => recordAudit(tx, writer, ...inputs));
  const auditKey = currentAuditKey(writer.keyring);
  const byAccount = new Map<number, AuditEventInput[]>();
  for (const input of inputs) {
    const list = byAccount.get(input.accountId) ?? [];
    list.push(input);
    byAccount.set(input.accountId, list);
  }
  if (byAccount.size === 0) return;
  // Set-based over every account at once: a campaign batch audits a thousand accounts in a handful of statements.
  const heads = await takeHeads(db, [...byAccount.keys()]);
  const occurredAt = writer.clock.now().toISOString();
  const rows: AuditEventRow[] = [];
  const moved: Array<ChainHead & { account_id: number }> = [];
  for (const [accountId, events] of byAccount) {
    const head = heads.get(accountId) ?? { seq: 0, hash: GENESIS_HASH };
    let previous = head.hash;
    events.forEach((input, index) => {
      const fields: HashedFields = {
        account_id: accountId,
        seq: head.seq + 1 + index,
        occurred_at: occurredAt,
        actor_type: input.actor.type,
        actor_id: input.actor.id === undefined || input.actor.id === null ? null : String(input.actor.id),
        action: input.action,
        target_type: input.target?.type ?? null,
        target_id: input.target === undefined ? null : String(input.target.id),
        data: JSON.stringify(input.data ?? {}),
        prev_hash: previous,
        subject_user_id: null,
        personal_digest: null,
        hash_key_version: auditKey.version,
      };
      const sealed = input.personal === undefined ? undefined : sealPersonalData(input.personal);
      if (sealed !== undefined) Object.assign(fields, { subject_user_id: sealed.subject_user_id, personal_digest: sealed.personal_digest });
      previous = macEvent(fields, auditKey.key);
      rows.push({ personal_data: sealed?.personal_data ?? null, personal_salt: sealed?.personal_salt ?? null, ...fields, hash: previous });
    });
    moved.push({ account_id: accountId, seq: head.seq + events.length, hash: previous });
  }
  await appendEvents(db, rows, moved);
  // The security events among them leave Riposte through an outbox, committed with them (security-events.model.ts).
  await insertSecurityEvents(db, securityEventsOf(rows));
}

export interface BrokenLink {
  accountId: number;
  seq: number;
  reason: string;
}

export interface ChainReport {
  ok: boolean;
  accounts: number;
  events: number;
  firstBroken: BrokenLink | undefined;
}

const PAGE = 5_000;

type LinkCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether an event's hash is what its key says it must be. Unkeyed events
 * (plain SHA-256) are accepted only before the chain's first keyed one: a
 * rewrite without the key cannot produce keyed hashes, and since every
 * chain ends keyed (see {@link anchorUnkeyedChains}), it cannot drop them.
 */
function checkHash(row: AuditEventRow, keyring: Keyring, keyedBefore: boolean): LinkCheck {
  const seq = Number(row.seq);
  if (row.hash_key_version === null || row.hash_key_version === undefined) {
    if (keyedBefore)
      return { ok: false, reason: `event ${seq} carries a plain hash after keyed events: it was rewritten without the audit key` };
    return hashEvent(row) === row.hash ? { ok: true } : { ok: false, reason: `event ${seq} was altered after it was written` };
  }
  const version = Number(row.hash_key_version);
  const key = keyring.derivedKey('audit-chain', version);
  if (key === undefined) {
    return {
      ok: false,
      reason:
        `event ${seq} is keyed with key version ${version}, which the keyring does not hold (it holds ${keyring.versions.join(', ')}); ` +
        'put that version back in RIPOSTE_KEYS or keys.json to verify the events keyed with it',
    };
  }
  const actual = Buffer.from(macEvent(row, key), 'hex');
  const stored = Buffer.from(row.hash, 'hex');
  return actual.length === stored.length && crypto.timingSafeEqual(actual, stored)
    ? { ok: true }
    : { ok: false, reason: `event ${seq} was altered after it was written (its HMAC does not match)` };
}

async function verifyAccount(
  db: Queryable,
  keyring: Keyring,
  accountId: number,
): Promise<{ events: number; broken: BrokenLink | undefined }> {
  // A chain whose oldest events retention purged starts after its checkpoint.
  const checkpoint = await readCheckpoint(db, accountId);
  let expectedSeq = (checkpoint?.seq ?? 0) + 1;
  let previous = checkpoint?.hash ?? GENESIS_HASH;
  let events = 0;
  let lastKeyed = true;
  for (;;) {
    const page = await readChainPage(db, accountId, expectedSeq - 1, PAGE);
    for (const row of page) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq)
        return { events, broken: { accountId, seq: expectedSeq, reason: `event ${expectedSeq} is missing (next present is ${seq})` } };
      if (row.prev_hash !== previous)
        return { events, broken: { accountId, seq, reason: `event ${seq} does not link to event ${seq - 1} (removed or reordered)` } };
      const hashCheck = checkHash(row, keyring, events > 0 && lastKeyed);
      if (!hashCheck.ok) return { events, broken: { accountId, seq, reason: hashCheck.reason } };
      if (!personalDataIntact(row))
        return { events, broken: { accountId, seq, reason: `the personal data of event ${seq} was altered after it was written` } };
      lastKeyed = row.hash_key_version !== null && row.hash_key_version !== undefined;
      previous = row.hash;
      expectedSeq += 1;
      events += 1;
    }
    if (page.length < PAGE) break;
  }
  if (!lastKeyed) {
    return {
      events,
      broken: {
        accountId,
        seq: expectedSeq - 1,
        reason: `the chain ends with event ${expectedSeq - 1}, which carries a plain hash: it was rewritten without the audit key`,
      },
    };
  }
  const head = await readHead(db, accountId);
  if (head !== undefined && (head.seq !== expectedSeq - 1 || head.hash !== previous)) {
    return {
      events,
      broken: {
        accountId,
        seq: expectedSeq,
        reason: `the chain ends at event ${expectedSeq - 1} but its head records ${head.seq} (events removed from the end)`,
      },
    };
  }
  return { events, broken: undefined };
}

/**
 * One consistent view of an account's checkpoint, events and head, so that
 * appends and purges committed meanwhile cannot look like tampering.
 */
function inSnapshot<T>(db: Queryable, work: (snapshot: Queryable) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().setIsolationLevel('repeatable read').execute(work);
}

/**
 * Walks each account's chain (or one account's) and reports the first broken
 * link: an edited event, a missing one, or events out of order.
 */
export async function verifyAuditChains(db: Queryable, keyring: Keyring, accountId?: number): Promise<ChainReport> {
  const accountIds = accountId === undefined ? await chainedAccountIds(db) : [accountId];
  let events = 0;
  for (const id of accountIds) {
    const result = await inSnapshot(db, (snapshot) => verifyAccount(snapshot, keyring, id));
    events += result.events;
    if (result.broken !== undefined) return { ok: false, accounts: accountIds.length, events, firstBroken: result.broken };
  }
  return { ok: true, accounts: accountIds.length, events, firstBroken: undefined };
}

/**
 * Appends `audit.chain_keyed` to every chain whose newest event has a plain
 * hash (written before keying), so each chain ends keyed and its unkeyed
 * prefix is covered by the HMAC of the event that links to it. Runs once,
 * right after the migration that adds key versions: run later, it would
 * seal a chain an attacker rewrote without the key.
 */
export async function anchorUnkeyedChains(db: Queryable, writer: AuditWriter): Promise<number> {
  const accountIds = await chainsEndingUnkeyed(db);
  for (const accountId of accountIds) {
    await recordAudit(db, writer, {
      accountId,
      actor: { type: 'system' },
      action: 'audit.chain_keyed',
      data: { key_version: writer.keyring.currentVersion },
    });
  }
  return accountIds.length;
}

/** How many audit events each key version keys, so no version still needed is removed. */
export function auditEventsByKeyVersion(db: Queryable): Promise<{ version: number | null; events: number }[]> {
  return countEventsByKeyVersion(db);
}
