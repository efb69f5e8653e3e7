import type { FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { insertUser } from '../../../../test/support/identity-fixtures.js';
import { IdentityChangeWatch } from '../../../db/identity-changes.js';
import type { Account } from '../../../db/schema.js';
import { FixedClock } from '../../../platform/clock.js';
import { SignInEventLog } from '../../../platform/sign-in-events/sign-in-event-log.js';
import { hashSecretToken } from '../secret-tokens.js';
import { authenticateApiToken } from './api-token.authenticator.js';
import { MAX_REFUSED, REFUSAL_MEMORY_MS, VerifiedApiTokens } from './verified-api-tokens.js';

const TOKEN = 'a-token-of-forty-characters-or-more-0123456789';
const request = { ip: '203.0.113.9', headers: {} } as FastifyRequest;

describe.each(backends)('verified API tokens on %s', (backend) => {
  let database: TestDatabase;
  let watch: IdentityChangeWatch;
  let acme: Account;
  let authenticate: ReturnType<typeof authenticateApiToken>;
  /** The verified tokens' clock (milliseconds), moved by hand. */
  let now: number;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    // Never polls by itself: the test moves the watch on by hand.
    watch = new IdentityChangeWatch(database.db, 3_600_000);
    acme = await insertAccount(database.db, 'acme');
    await insertUser(database.db, acme, 'agent@acme.test');
    await database.db
      .insertInto('api_tokens')
      .values({
        account_id: acme.id,
        id: 1,
        description: 'integration',
        token_hash: hashSecretToken(TOKEN),
        token_hint: '6789',
        created_by: null,
        created_at: '2026-06-01T12:00:00.000Z',
        last_used_at: null,
      })
      .execute();
    const signInEvents = new SignInEventLog(database.db, new FixedClock('2026-06-01T12:00:00.000Z'));
    now = 0;
    authenticate = authenticateApiToken({ db: database.db, signInEvents }, new VerifiedApiTokens(watch, () => now));
    await watch.check();
  });
  afterEach(() => database.dispose());

  it('answers a verified token from memory, with no database read, until the identity generation moves', async () => {
    expect((await authenticate(request, acme, 'agent@acme.test', TOKEN)).user.email).toBe('agent@acme.test');
    await database.db.deleteFrom('api_tokens').where('id', '=', 1).execute();
    // The row is gone, but this process has not looked at the generation since: it answers from memory.
    expect((await authenticate(request, acme, 'agent@acme.test', TOKEN)).credentialId).toBe(1);
    await watch.check();
    await expect(authenticate(request, acme, 'agent@acme.test', TOKEN)).rejects.toMatchObject({ code: 'Unauthorized' });
  });

  it('moves the generation with a user’s standing but not with a sign-in', async () => {
    const generation = async () => {
      await watch.check();
      return watch.generation ?? -1;
    };
    const start = await generation();
    await database.db.updateTable('users').set({ last_login_at: '2026-06-01T12:00:00.000Z' }).execute();
    await database.db.updateTable('api_tokens').set({ last_used_at: '2026-06-01T12:00:00.000Z' }).execute();
    expect(await generation()).toBe(start);
    await database.db.updateTable('users').set({ active: 0 }).execute();
    expect(await generation()).toBeGreaterThan(start);
  });

  it('keeps nothing verified by a read that began before the generation moved', async () => {
    const verified = new VerifiedApiTokens(watch);
    const before = verified.generation;
    await database.db.updateTable('users').set({ role: 'admin' }).execute();
    await watch.check();
    verified.remember('key', { credential: {} as never, account: acme }, before);
    expect(verified.get('key')).toBeUndefined();
  });

  it('decides a refused token again on the lookup it kept, for REFUSAL_MEMORY_MS at most', async () => {
    const refusedFor = (email: string) =>
      expect(Promise.resolve().then(() => authenticate(request, acme, email, TOKEN))).rejects.toMatchObject({ code: 'Unauthorized' });
    const generation = watch.generation;
    await refusedFor('new-agent@acme.test');
    // Creating a user moves no identity generation: the refusal kept answers, with no database read.
    await insertUser(database.db, acme, 'new-agent@acme.test');
    await watch.check();
    expect(watch.generation).toBe(generation);
    now += REFUSAL_MEMORY_MS - 1;
    await refusedFor('new-agent@acme.test');
    now += 1;
    expect((await authenticate(request, acme, 'new-agent@acme.test', TOKEN)).user.email).toBe('new-agent@acme.test');
  });

  it('drops the refusals it kept when the identity generation moves', async () => {
    await database.db.updateTable('users').set({ active: 0 }).execute();
    await watch.check();
    await expect(Promise.resolve().then(() => authenticate(request, acme, 'agent@acme.test', TOKEN))).rejects.toMatchObject({
      code: 'Unauthorized',
    });
    await database.db.updateTable('users').set({ active: 1 }).execute();
    await watch.check();
    expect((await authenticate(request, acme, 'agent@acme.test', TOKEN)).user.email).toBe('agent@acme.test');
  });

  it('refuses a token on another account’s host, then accepts it on its own from the lookup it kept', async () => {
    const other = await insertAccount(database.db, 'other');
    await watch.check();
    await expect(Promise.resolve().then(() => authenticate(request, other, 'agent@acme.test', TOKEN))).rejects.toMatchObject({
      code: 'Unauthorized',
    });
    // The token goes, unseen by this process yet: the lookup kept from the refusal answers, no read, and on its own host accepts.
    await database.db.deleteFrom('api_tokens').where('id', '=', 1).execute();
    expect((await authenticate(request, acme, 'agent@acme.test', TOKEN)).credentialId).toBe(1);
    await watch.check();
    await expect(Promise.resolve().then(() => authenticate(request, acme, 'agent@acme.test', TOKEN))).rejects.toMatchObject({
      code: 'Unauthorized',
    });
  });

  it('starts its memory of refusals afresh past MAX_REFUSED, so a flood of made-up tokens cannot grow it', () => {
    const verified = new VerifiedApiTokens(watch, () => now);
    const generation = verified.generation;
    for (let i = 0; i < MAX_REFUSED; i++) verified.rememberRefused(`made-up-${i}`, { found: undefined }, generation);
    expect(verified.refusedLookup('made-up-0')).toBeDefined();
    verified.rememberRefused('one-more', { found: undefined }, generation);
    expect(verified.refusedLookup('made-up-0')).toBeUndefined();
    expect(verified.refusedLookup('one-more')).toBeDefined();
  });
});
