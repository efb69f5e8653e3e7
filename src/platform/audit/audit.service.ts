import crypto from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import type { AuditEventRow } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { personalDataIntact, sealPersonalData, type PersonalData } from './audit-personal-data.js';
import { advanceHead, chainedAccountIds, GENESIS_HASH, insertEvents, readChainPage, readCheckpoint, readHead } from './audit.repo.js';

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

/**
 * The hash covers every column but itself, in a fixed order; the personal
 * data only through its digest. Events without personal data (all those
 * written before migration 0012) hash exactly as they always did.
 */
export function hashEvent(event: HashedFields): string {
  const subject = event.subject_user_id ?? null;
  const digest = event.personal_digest ?? null;
  const personal = subject === null && digest === null ? [] : [subject === null ? null : Number(subject), digest];
  const material = JSON.stringify([
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
  ]);
  return crypto.createHash('sha256').update(material).digest('hex');
}

/**
 * Appends events to their accounts' hash chains. Call it with the transaction
 * that makes the change the events record, so both land or neither does.
 *
 * @example
 * await db.transaction().execute(async (tx) => {
 *   await createThing(tx);
 *   await recordAudit(tx, clock, { accountId, actor: { type: 'cli' }, action: 'thing.created' });
 * });
 */
export async function recordAudit(db: Queryable, clock: Clock, ...inputs: AuditEventInput[]): Promise<void> {
  // Taking the head and moving it must be one transaction, or two writers link to the same predecessor.
  if (!db.isTransaction) return db.transaction().execute((tx) => recordAudit(tx, clock, ...inputs));
  const byAccount = new Map<number, AuditEventInput[]>();
  for (const input of inputs) {
    const list = byAccount.get(input.accountId) ?? [];
    list.push(input);
    byAccount.set(input.accountId, list);
  }
  const occurredAt = clock.now().toISOString();
  for (const [accountId, events] of byAccount) {
    const { firstSeq, prevHash } = await advanceHead(db, accountId, events.length);
    let previous = prevHash;
    const rows = events.map((input, index): AuditEventRow => {
      const fields: HashedFields = {
        account_id: accountId,
        seq: firstSeq + index,
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
      };
      const sealed = input.personal === undefined ? undefined : sealPersonalData(input.personal);
      if (sealed !== undefined) Object.assign(fields, { subject_user_id: sealed.subject_user_id, personal_digest: sealed.personal_digest });
      previous = hashEvent(fields);
      return { personal_data: sealed?.personal_data ?? null, personal_salt: sealed?.personal_salt ?? null, ...fields, hash: previous };
    });
    await insertEvents(db, rows, previous);
  }
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

async function verifyAccount(db: Queryable, accountId: number): Promise<{ events: number; broken: BrokenLink | undefined }> {
  // A chain whose oldest events retention purged starts after its checkpoint.
  const checkpoint = await readCheckpoint(db, accountId);
  let expectedSeq = (checkpoint?.seq ?? 0) + 1;
  let previous = checkpoint?.hash ?? GENESIS_HASH;
  let events = 0;
  for (;;) {
    const page = await readChainPage(db, accountId, expectedSeq - 1, PAGE);
    for (const row of page) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq)
        return { events, broken: { accountId, seq: expectedSeq, reason: `event ${expectedSeq} is missing (next present is ${seq})` } };
      if (row.prev_hash !== previous)
        return { events, broken: { accountId, seq, reason: `event ${seq} does not link to event ${seq - 1} (removed or reordered)` } };
      if (hashEvent(row) !== row.hash)
        return { events, broken: { accountId, seq, reason: `event ${seq} was altered after it was written` } };
      if (!personalDataIntact(row))
        return { events, broken: { accountId, seq, reason: `the personal data of event ${seq} was altered after it was written` } };
      previous = row.hash;
      expectedSeq += 1;
      events += 1;
    }
    if (page.length < PAGE) break;
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
export async function verifyAuditChains(db: Queryable, accountId?: number): Promise<ChainReport> {
  const accountIds = accountId === undefined ? await chainedAccountIds(db) : [accountId];
  let events = 0;
  for (const id of accountIds) {
    const result = await inSnapshot(db, (snapshot) => verifyAccount(snapshot, id));
    events += result.events;
    if (result.broken !== undefined) return { ok: false, accounts: accountIds.length, events, firstBroken: result.broken };
  }
  return { ok: true, accounts: accountIds.length, events, firstBroken: undefined };
}
