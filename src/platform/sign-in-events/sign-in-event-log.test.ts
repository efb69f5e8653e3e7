import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { FixedClock } from '../clock.js';
import { SignInEventLog, type SignInAttempt } from './sign-in-event-log.js';
import { truncatedAddress } from './sign-in-events.repo.js';

const attempt = (overrides: Partial<SignInAttempt> = {}): SignInAttempt => ({
  accountId: 1,
  userId: 7,
  channel: 'web',
  outcome: 'failed',
  reason: 'wrong_password',
  ip: '198.51.100.7',
  userAgent: 'vitest',
  identifier: 'Ana@Acme.test',
  ...overrides,
});

describe.each(backends)('the sign-in event log on %s', (backend) => {
  let database: TestDatabase;
  const clock = new FixedClock('2026-06-01T12:00:00.000Z');
  const rows = () => database.db.selectFrom('sign_in_events').selectAll().orderBy('id').execute();

  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(() => database.dispose());

  it('keeps attempts in memory until a flush, folds identical ones, and writes the rest on close', async () => {
    const log = new SignInEventLog(database.db, clock, { flushIntervalMs: 60_000 });
    log.record(attempt());
    clock.advance(1_000);
    log.record(attempt());
    log.record(attempt({ outcome: 'succeeded', reason: null }));
    expect(await rows()).toEqual([]);
    await log.close();
    const stored = await rows();
    expect(stored.map((row) => [row.outcome, Number(row.attempts), row.occurred_at, row.last_at, row.identifier])).toEqual([
      ['failed', 2, '2026-06-01T12:00:00.000Z', '2026-06-01T12:00:01.000Z', 'ana@acme.test'],
      ['succeeded', 1, '2026-06-01T12:00:01.000Z', '2026-06-01T12:00:01.000Z', 'ana@acme.test'],
    ]);
  });

  it('folds only attempts alike in every field, whatever their identifier and user agent hold', async () => {
    const log = new SignInEventLog(database.db, clock, { flushIntervalMs: 60_000 });
    const distinct: Array<Partial<SignInAttempt>> = [
      { identifier: 'a|b', userAgent: 'c' },
      { identifier: 'a', userAgent: 'b|c' },
      { identifier: '1:a', userAgent: null },
      { identifier: null, userAgent: '-' },
      { identifier: null, userAgent: null },
      { identifier: null, userAgent: '' },
      { identifier: '', userAgent: '=' },
      { identifier: 'a|b', userAgent: 'c', userId: null },
      { identifier: 'a|b', userAgent: 'c', reason: null },
    ];
    for (const fields of [...distinct, ...distinct]) log.record(attempt(fields));
    await log.close();
    const stored = await rows();
    expect(stored).toHaveLength(distinct.length);
    expect(stored.map((row) => Number(row.attempts))).toEqual(distinct.map(() => 2));
    expect(stored.map((row) => [row.identifier, row.user_agent])).toEqual(distinct.map((fields) => [fields.identifier, fields.userAgent]));
  });

  it('writes on its own after the interval, and at once when too many are pending', async () => {
    const timed = new SignInEventLog(database.db, clock, { flushIntervalMs: 20 });
    timed.record(attempt());
    await vi.waitFor(async () => expect(await rows()).toHaveLength(1), { timeout: 2_000, interval: 10 });
    const full = new SignInEventLog(database.db, clock, { flushIntervalMs: 60_000, maxPending: 3 });
    for (const userId of [1, 2, 3]) full.record(attempt({ userId }));
    await vi.waitFor(async () => expect(await rows()).toHaveLength(4), { timeout: 2_000, interval: 10 });
    await Promise.all([timed.close(), full.close()]);
  });

  it('keeps what a failed write held for the next flush, and reports the failure', async () => {
    const errors: unknown[] = [];
    const log = new SignInEventLog(database.db, clock, { flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
    await sql`alter table sign_in_events rename to sign_in_events_away`.execute(database.db);
    const first = clock.now().toISOString();
    log.record(attempt());
    await log.flush();
    expect(errors).toHaveLength(1);
    await sql`alter table sign_in_events_away rename to sign_in_events`.execute(database.db);
    clock.advance(5_000);
    log.record(attempt());
    await log.close();
    expect((await rows()).map((row) => [Number(row.attempts), row.occurred_at, row.last_at])).toEqual([
      [2, first, clock.now().toISOString()],
    ]);
  });
});

describe('addresses cut to their network', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:1234:5678::9', '2001:db8:1234::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['::1', '0:0:0::/48'],
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['not an address', 'not an address'],
  ])('%s → %s', (ip, network) => {
    expect(truncatedAddress(ip)).toBe(network);
  });
});
