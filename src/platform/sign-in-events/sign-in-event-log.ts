import type { Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { SignInEventsTable } from '../../db/schema.js';
import { reserveIds } from '../../db/sequences.js';
import type { Clock } from '../clock.js';

/** How a credential arrived. */
export const SIGN_IN_CHANNELS = ['web', 'password_basic', 'api_token', 'oauth_token', 'jwt_sso', 'saml_sso', 'staff'] as const;
export type SignInChannel = (typeof SIGN_IN_CHANNELS)[number];

export const SIGN_IN_OUTCOMES = ['succeeded', 'failed'] as const;
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number];

/** One attempt, as the channel that saw it tells it. */
export interface SignInAttempt {
  accountId: number;
  userId: number | null;
  channel: SignInChannel;
  outcome: SignInOutcome;
  /** Why it failed (`wrong_password`, `unknown_user`, `locked`, `revoked_token`, ...), or a note on a success (`password_change_required`). */
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The email the attempt named, lowercased. */
  identifier?: string | null;
  credentialId?: number | null;
}

/** Bounds that keep the buffer, a row's text and a flush small. */
const MAX_USER_AGENT = 256;
const MAX_IDENTIFIER = 320;
const ROWS_PER_INSERT = 500;

export interface SignInEventLogOptions {
  /** Pending attempts are written at least this often: the most a crash loses. */
  flushIntervalMs?: number;
  /** A flush starts at once when this many attempts are pending. */
  maxPending?: number;
  /** Where a failed write is reported; its attempts are kept for the next flush, up to `maxPending` × 10. */
  onError?: (error: unknown) => void;
}

export const SIGN_IN_EVENT_FLUSH_MS = 1_000;
const DEFAULT_MAX_PENDING = 2_000;

type PendingRow = Omit<Insertable<SignInEventsTable>, 'id'>;

/** An attempt waiting for the next flush, with when the last of its repeats came (made ISO text only at the flush). */
interface Pending {
  row: PendingRow;
  lastAt: Date;
}

/**
 * What two attempts must share to fold into one row, as one string. Built by
 * hand rather than by JSON.stringify, which took a tenth of an API-token
 * request's own time: the numbers, the channel, outcome and reason codes and
 * the address hold no `|`, the identifier carries its length and the user
 * agent comes last, so two different attempts never share a key.
 */
const foldKey = (
  accountId: number,
  userId: number | null,
  channel: string,
  outcome: string,
  reason: string | null,
  ip: string | null,
  credentialId: number | null,
  identifier: string | null,
  userAgent: string | null,
): string =>
  `${accountId}|${userId}|${channel}|${outcome}|${reason}|${ip}|${credentialId}|` +
  `${identifier === null ? '-' : `${identifier.length}:${identifier}`}|${userAgent === null ? '-' : `=${userAgent}`}`;

const keyOfRow = (row: PendingRow): string =>
  foldKey(
    row.account_id,
    row.user_id ?? null,
    row.channel,
    row.outcome,
    row.reason ?? null,
    row.ip ?? null,
    row.credential_id ?? null,
    row.identifier ?? null,
    row.user_agent ?? null,
  );

/** Called in a flush's transaction with its attempts (`SignInEventLog.onFlush`). */
export type SignInFlushListener = (tx: Db, attempts: ReadonlyArray<PendingRow>) => Promise<void>;

/**
 * The sign-in event log: every authentication attempt is handed to `record`,
 * which only appends to memory, so the request never waits on the database.
 * A flush (every second, at 2,000 pending attempts, and on `close`) writes
 * them in a few multi-row inserts, folding identical attempts of the same
 * flush into one row with their count. A clean shutdown loses nothing; a
 * crash loses at most the last second's attempts.
 *
 * @example
 * deps.signInEvents.record({ accountId, userId, channel: 'web', outcome: 'failed', reason: 'wrong_password', ip, userAgent });
 */
export class SignInEventLog {
  private pending = new Map<string, Pending>();
  private readonly flushListeners = new Set<SignInFlushListener>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly options: SignInEventLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? SIGN_IN_EVENT_FLUSH_MS;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  record(attempt: SignInAttempt): void {
    const at = this.clock.now();
    const userAgent = attempt.userAgent === null ? null : attempt.userAgent.slice(0, MAX_USER_AGENT);
    const identifier = attempt.identifier == null ? null : attempt.identifier.slice(0, MAX_IDENTIFIER).toLowerCase();
    const credentialId = attempt.credentialId ?? null;
    const { accountId, userId, channel, outcome, reason, ip } = attempt;
    const key = foldKey(accountId, userId, channel, outcome, reason, ip, credentialId, identifier, userAgent);
    const same = this.pending.get(key);
    // A repeat (an API token's every use) only counts: its row and ISO time are made once per flush.
    if (same !== undefined) {
      same.row.attempts = (same.row.attempts ?? 1) + 1;
      same.lastAt = at;
    } else {
      const occurredAt = at.toISOString();
      const row = {
        account_id: accountId,
        occurred_at: occurredAt,
        last_at: occurredAt,
        attempts: 1,
        user_id: userId,
        channel,
        outcome,
        reason,
        ip,
        user_agent: userAgent,
        identifier,
        credential_id: credentialId,
      };
      this.pending.set(key, { row, lastAt: at });
    }
    if (this.pending.size >= this.maxPending) void this.flush();
    else if (this.timer === undefined && !this.closed) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Runs `listener` in each flush's transaction with the attempts it writes,
   * for records kept from the same attempts (an API token's last use), so
   * they are batched, and stored or retried, with the events. Adding the same
   * listener twice adds it once.
   */
  onFlush(listener: SignInFlushListener): void {
    this.flushListeners.add(listener);
  }

  /** Writes what is pending; resolves once it is stored (or reported as failed). Flushes run one at a time. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()].map(({ row, lastAt }) => ({ ...row, last_at: lastAt.toISOString() }));
    this.pending = new Map();
    this.flushing = this.flushing.then(() => (batch.length === 0 ? undefined : this.write(batch)));
    return this.flushing;
  }

  /** Flushes and stops the timer: for shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async write(batch: PendingRow[]): Promise<void> {
    try {
      await this.db.transaction().execute(async (tx) => {
        const first = await reserveIds(tx, 'sign_in_events', batch.length);
        for (let start = 0; start < batch.length; start += ROWS_PER_INSERT) {
          const rows = batch.slice(start, start + ROWS_PER_INSERT).map((row, index) => ({ ...row, id: first + start + index }));
          await tx.insertInto('sign_in_events').values(rows).execute();
        }
        for (const listener of this.flushListeners) await listener(tx, batch);
      });
    } catch (error) {
      // Kept for the next flush, within a bound: a database that stays down must not exhaust memory.
      for (const row of batch.slice(0, Math.max(0, this.maxPending * 10 - this.pending.size))) {
        const key = keyOfRow(row);
        const newer = this.pending.get(key);
        this.pending.set(
          key,
          newer === undefined
            ? { row, lastAt: new Date(row.last_at ?? row.occurred_at) }
            : { row: { ...row, attempts: (row.attempts ?? 1) + (newer.row.attempts ?? 1) }, lastAt: newer.lastAt },
        );
      }
      this.options.onError?.(error);
    }
  }
}
