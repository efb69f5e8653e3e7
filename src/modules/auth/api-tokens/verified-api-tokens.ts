import type { Db } from '../../../db/database.js';
import { IDENTITY_CHANGE_BOUND_MS, type IdentityChangeWatch } from '../../../db/identity-changes.js';
import type { Account } from '../../../db/schema.js';
import type { SignInFlushListener } from '../../../platform/sign-in-events/sign-in-event-log.js';
import type { ApiTokenCredential } from './api-tokens.repo.js';
import { touchApiToken } from './api-tokens.repo.js';
import { LAST_USED_GRANULARITY_MS } from './api-tokens.service.js';

/** Past this many verified tokens, a process starts its cache afresh rather than grow without bound. */
const MAX_VERIFIED = 50_000;

/** Past this many refused lookups, a process starts their memory afresh: a flood of made-up tokens cannot grow it. */
export const MAX_REFUSED = 10_000;

/**
 * How long a refused lookup is reused. What turns a refusal into a success
 * without moving the identity generation (a user created with the email, a
 * token created) takes effect within this, the bound revocations keep.
 */
export const REFUSAL_MEMORY_MS = IDENTITY_CHANGE_BOUND_MS;

/** What a verified token and email resolve to, reused until an identity change. */
export interface VerifiedApiToken {
  credential: ApiTokenCredential;
  /** The token's account, for requests whose Host names none. */
  account: Account;
}

/** A lookup that ended in a refusal: what the database answered for a token and email (undefined: no such token). */
export interface RefusedLookup {
  found: ApiTokenCredential | undefined;
}

/**
 * API tokens this process verified, by token hash and email, so a request
 * costs no database read. Correct only with its watch: any change to who may
 * authenticate (a token revoked, a user suspended, deleted or changed, an
 * account changed) moves the database's identity generation, and every
 * process drops its whole cache when it sees the move (README, "How fast a
 * revocation reaches every process").
 *
 * Lookups that ended in a refusal (a deleted token an integration keeps
 * sending) are kept too, for `REFUSAL_MEMORY_MS` at most, and dropped with
 * the rest when the generation moves: the request is decided again on them
 * without a read.
 */
export class VerifiedApiTokens {
  readonly #entries = new Map<string, VerifiedApiToken>();
  readonly #refused = new Map<string, RefusedLookup & { until: number }>();

  constructor(
    private readonly watch: IdentityChangeWatch,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    watch.onChange(() => {
      this.#entries.clear();
      this.#refused.clear();
    });
  }

  static key(tokenHash: string, email: string): string {
    return `${tokenHash}\n${email}`;
  }

  get(key: string): VerifiedApiToken | undefined {
    return this.#entries.get(key);
  }

  /** The generation to pass to `remember`, read before the verification's query. */
  get generation(): number | undefined {
    return this.watch.generation;
  }

  /** Keeps `entry` unless the generation moved since its read began (the read may predate the change). */
  remember(key: string, entry: VerifiedApiToken, generationAtRead: number | undefined): void {
    if (generationAtRead === undefined || this.watch.generation !== generationAtRead) return;
    if (this.#entries.size >= MAX_VERIFIED) this.#entries.clear();
    this.#entries.set(key, entry);
  }

  /** The refused lookup kept for `key`, while it is fresh. */
  refusedLookup(key: string): RefusedLookup | undefined {
    const refused = this.#refused.get(key);
    if (refused === undefined) return undefined;
    if (refused.until > this.now()) return refused;
    this.#refused.delete(key);
    return undefined;
  }

  /** Keeps a lookup that ended in a refusal, unless the generation moved since its read began. */
  rememberRefused(key: string, lookup: RefusedLookup, generationAtRead: number | undefined): void {
    if (generationAtRead === undefined || this.watch.generation !== generationAtRead) return;
    if (this.#refused.size >= MAX_REFUSED) this.#refused.clear();
    this.#refused.set(key, { found: lookup.found, until: this.now() + REFUSAL_MEMORY_MS });
  }
}

/**
 * An API token's last use, written with the sign-in events that record its
 * successes (one UPDATE per token and flush, in the flush's transaction), not
 * per request; still to the minute, as `touchApiToken` keeps it.
 */
export const recordApiTokenUses: SignInFlushListener = async (tx: Db, attempts) => {
  const latest = new Map<string, { accountId: number; tokenId: number; at: string }>();
  for (const attempt of attempts) {
    if (attempt.channel !== 'api_token' || attempt.outcome !== 'succeeded' || attempt.credential_id == null) continue;
    const key = `${attempt.account_id}:${attempt.credential_id}`;
    const at = attempt.last_at ?? attempt.occurred_at;
    const seen = latest.get(key);
    if (seen === undefined || seen.at < at) latest.set(key, { accountId: attempt.account_id, tokenId: attempt.credential_id, at });
  }
  for (const { accountId, tokenId, at } of latest.values()) {
    const staleBefore = new Date(new Date(at).getTime() - LAST_USED_GRANULARITY_MS).toISOString();
    await touchApiToken(tx, accountId, tokenId, at, staleBefore);
  }
};
