import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account } from '../../db/schema.js';
import { recordAudit, verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { JobSettlement } from '../../platform/jobs/jobs.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser } from '../../../test/support/identity-fixtures.js';
import { retentionDailyJob, scheduleRetention } from './retention.jobs.js';
import { retentionPolicyOf } from './retention.policy.js';
import { runRetention } from './retention.service.js';

const NOW = '2026-06-01T12:00:00.000Z';
const DAY = 86_400_000;
/** `days` days before NOW, give or take `ms` milliseconds: -1 is just outside the period, +1 just inside. */
const ago = (days: number, ms = 0): string => new Date(new Date(NOW).getTime() - days * DAY + ms).toISOString();
const ARGON = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';
const BCRYPT = '$2b$10$abcdefghijklmnopqrstuu5GHnMkb7ZsIY8AHwzb1ZLkWT5XHh0pm';
const WRAPPED = `$wrapped$sha1$s=x7${ARGON}`;

describe.each(backends)('retention on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let acme: Account;

  async function seed(): Promise<void> {
    const ana = await insertUser(database.db, acme, 'ana@acme.test');
    const bob = await insertUser(database.db, acme, 'bob@acme.test');
    const session = (id: number, expiresAt: string, revokedAt: string | null) => ({
      account_id: acme.id,
      id,
      user_id: ana.id,
      token_hash: `token-${id}`,
      created_at: ago(40),
      last_seen_at: ago(40),
      expires_at: expiresAt,
      ip: '203.0.113.7',
      user_agent: 'vitest',
      revoked_at: revokedAt,
      revoked_reason: revokedAt === null ? null : 'revoked_by_user',
    });
    await database.db
      .insertInto('sessions')
      .values([
        session(1, ago(30, -1), null), // expired just outside: goes
        session(2, ago(30, 1), null), // expired just inside: stays
        session(3, ago(29), ago(30, -1)), // revoked just outside: goes
        session(4, ago(29), ago(30, 1)), // revoked just inside: stays
        session(5, ago(-1), null), // live: stays
        session(6, ago(90), null), // long expired: goes
        session(7, ago(31), ago(35)), // goes
      ])
      .execute();
    const throttle = (subject: string, lastFailureAt: string, lockedUntil: string | null) => ({
      account_id: acme.id,
      subject,
      failures: 3,
      last_failure_at: lastFailureAt,
      locked_until: lockedUntil,
    });
    await database.db
      .insertInto('login_throttles')
      .values([
        throttle('email:old@acme.test', ago(30, -1), null), // goes
        throttle('email:recent@acme.test', ago(30, 1), null), // stays
        throttle('ip:203.0.113.7', ago(60), ago(-1)), // still locks someone: stays
        throttle('ip:203.0.113.8', ago(60), ago(59)), // goes
      ])
      .execute();
    const message = (id: number, state: 'queued' | 'sent' | 'failed', createdAt: string, sentAt: string | null) => ({
      account_id: acme.id,
      id,
      idempotency_key: `m-${id}`,
      purpose: 'password_reset',
      recipient: 'ana@acme.test',
      locale: 'en',
      template_data: '{"sealed":"body"}',
      state,
      attempts: 1,
      next_attempt_at: createdAt,
      last_error: null,
      created_at: createdAt,
      sent_at: sentAt,
    });
    await database.db
      .insertInto('messages')
      .values([
        message(1, 'sent', ago(40), ago(30, -1)), // body goes
        message(2, 'sent', ago(40), ago(30, 1)), // stays
        message(3, 'failed', ago(30, -1), null), // body goes
        message(4, 'queued', ago(60), null), // not finished: stays
      ])
      .execute();
    await database.db
      .insertInto('password_credentials')
      .values([
        {
          account_id: acme.id,
          user_id: ana.id,
          password_hash: ARGON,
          password_changed_at: ago(1),
          must_change: 0,
          must_change_reason: null,
          must_change_incident_id: null,
        },
        {
          account_id: acme.id,
          user_id: bob.id,
          password_hash: BCRYPT,
          password_changed_at: ago(900),
          must_change: 0,
          must_change_reason: null,
          must_change_incident_id: null,
        },
      ])
      .execute();
    await database.db
      .insertInto('password_history')
      .values([
        { account_id: acme.id, user_id: ana.id, id: 1, password_hash: BCRYPT, created_at: ago(1) }, // superseded legacy: goes
        { account_id: acme.id, user_id: ana.id, id: 2, password_hash: WRAPPED, created_at: ago(0, -1) }, // goes
        { account_id: acme.id, user_id: ana.id, id: 3, password_hash: ARGON, created_at: ago(2) }, // argon2id: stays
        { account_id: acme.id, user_id: bob.id, id: 4, password_hash: WRAPPED, created_at: ago(800) }, // not upgraded yet: stays
      ])
      .execute();
    const job = (id: string, state: 'queued' | 'done' | 'failed', finishedAt: string | null) => ({
      id,
      name: 'auth.password-reset',
      payload: JSON.stringify({ email: 'ana@acme.test' }),
      singleton_key: null,
      state,
      attempts: 1,
      max_attempts: 3,
      run_at: ago(60),
      locked_until: null,
      last_error: null,
      created_at: ago(60),
      finished_at: finishedAt,
    });
    await database.db
      .insertInto('local_jobs')
      .values([
        job('job-done-old', 'done', ago(30, -1)), // goes, payload with it
        job('job-done-recent', 'done', ago(30, 1)), // stays
        job('job-failed-old', 'failed', ago(45)), // goes
        job('job-queued', 'queued', null), // not finished: stays
      ])
      .execute();
    // Audit events: three just outside three years, one just inside, one now.
    for (const at of [ago(1095, -1000), ago(1095, -2), ago(1095, -1), ago(1095, 1), NOW]) {
      deps.clock.set(at);
      await recordAudit(database.db, deps, { accountId: acme.id, actor: { type: 'cli' }, action: 'thing.happened', data: { at } });
    }
    // Sign-in events: one past 90 days (goes), two past 30 days (addresses cut), two recent (kept whole).
    const attempts: Array<[string, string]> = [
      [ago(90, -1), '203.0.113.1'],
      [ago(90, 1), '203.0.113.2'],
      [ago(30, -1), '2001:db8:1234:5678::9'],
      [ago(30, 1), '203.0.113.4'],
      [NOW, '203.0.113.5'],
    ];
    for (const [at, ip] of attempts) {
      deps.clock.set(at);
      deps.signInEvents.record({
        accountId: acme.id,
        userId: null,
        channel: 'web',
        outcome: 'failed',
        reason: 'unknown_user',
        ip,
        userAgent: null,
      });
      await deps.signInEvents.flush();
    }
    // Exposed-password attempts keep the sign-in events' period: the first goes.
    const exposedAttempt = (id: number, at: string) => ({
      account_id: acme.id,
      id,
      user_id: ana.id,
      exposed_user_id: ana.id,
      incident_id: 1,
      channel: 'web',
      ip: '203.0.113.9',
      user_agent: null,
      stuffing: 0,
      occurred_at: at,
      alerted_at: at,
    });
    await database.db
      .insertInto('exposed_password_attempts')
      .values([exposedAttempt(1, ago(90, -1)), exposedAttempt(2, ago(90, 1))])
      .execute();
    // Security events: sent over 30 days ago with every delivery settled (goes, deliveries with it); as old
    // but one delivery still retrying (stays); recent (stays).
    const securityEvent = (seq: number, id: string, dispatchedAt: string) => ({
      account_id: acme.id,
      audit_seq: 1000 + seq,
      event_id: id,
      type: 'sign_in.locked',
      occurred_at: dispatchedAt,
      body: '{}',
      dispatched_at: dispatchedAt,
    });
    await database.db
      .insertInto('security_events')
      .values([
        securityEvent(1, 'evt_old', ago(30, -1)),
        securityEvent(2, 'evt_retrying', ago(40)),
        securityEvent(3, 'evt_recent', ago(29)),
      ])
      .execute();
    const delivery = (eventId: string, subscriptionId: number, state: 'delivered' | 'failed' | 'queued') => ({
      account_id: acme.id,
      subscription_id: subscriptionId,
      event_id: eventId,
      state,
      attempts: 1,
      next_attempt_at: ago(40),
      created_at: ago(40),
    });
    await database.db
      .insertInto('webhook_deliveries')
      .values([
        delivery('evt_old', 1, 'delivered'),
        delivery('evt_old', 2, 'failed'),
        delivery('evt_retrying', 1, 'delivered'),
        delivery('evt_retrying', 2, 'queued'),
      ])
      .execute();
    deps.clock.set(NOW);
  }

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    deps.clock.set(NOW);
    acme = await insertAccount(database.db, 'acme');
    await seed();
  });
  afterEach(() => database.dispose());

  const ids = async (table: 'sessions' | 'messages'): Promise<number[]> =>
    (await database.db.selectFrom(table).select('id').orderBy('id').execute()).map((row) => Number(row.id));

  it('removes exactly what is past its period, in batches, and the chain still verifies', async () => {
    const policy = { ...retentionPolicyOf({}), batchSize: 2 };
    const dryRun = await runRetention(deps, { dryRun: true, policy });
    const expected = {
      sessions: 4,
      login_attempts: 2,
      message_bodies: 2,
      legacy_password_hashes: 2,
      finished_jobs: 2,
      sign_in_events: 2,
      sign_in_addresses: 2,
      security_events: 1,
      audit_events: 3,
    };
    expect(Object.fromEntries(Object.entries(dryRun.kinds).map(([kind, report]) => [kind, report.removed]))).toEqual(expected);
    expect(await ids('sessions')).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const report = await runRetention(deps, { policy });
    expect(Object.fromEntries(Object.entries(report.kinds).map(([kind, result]) => [kind, result.removed]))).toEqual(expected);
    expect(report.kinds.sessions).toMatchObject({ days: 30, before: ago(30) });

    expect(await ids('sessions')).toEqual([2, 4, 5]);
    const throttles = await database.db.selectFrom('login_throttles').select('subject').orderBy('subject').execute();
    expect(throttles.map((row) => row.subject)).toEqual(['email:recent@acme.test', 'ip:203.0.113.7']);
    const messages = await database.db.selectFrom('messages').select(['id', 'state', 'template_data']).orderBy('id').execute();
    expect(messages.map((row) => [Number(row.id), row.state, row.template_data])).toEqual([
      [1, 'sent', '{}'],
      [2, 'sent', '{"sealed":"body"}'],
      [3, 'failed', '{}'],
      [4, 'queued', '{"sealed":"body"}'],
    ]);
    const history = await database.db.selectFrom('password_history').select('id').orderBy('id').execute();
    expect(history.map((row) => Number(row.id))).toEqual([3, 4]);
    const jobs = await database.db.selectFrom('local_jobs').select('id').where('name', '=', 'auth.password-reset').orderBy('id').execute();
    expect(jobs.map((row) => row.id)).toEqual(['job-done-recent', 'job-queued']);
    const signIns = await database.db.selectFrom('sign_in_events').select('ip').orderBy('occurred_at').execute();
    expect(signIns.map((row) => row.ip)).toEqual(['203.0.113.0/24', '2001:db8:1234::/48', '203.0.113.4', '203.0.113.5']);
    const exposed = await database.db.selectFrom('exposed_password_attempts').select('id').execute();
    expect(exposed.map((row) => Number(row.id))).toEqual([2]);
    const events = await database.db.selectFrom('security_events').select('event_id').orderBy('event_id').execute();
    expect(events.map((row) => row.event_id)).toEqual(['evt_recent', 'evt_retrying']);
    const deliveries = await database.db.selectFrom('webhook_deliveries').select(['event_id', 'state']).orderBy('state').execute();
    expect(deliveries).toEqual([
      { event_id: 'evt_retrying', state: 'delivered' },
      { event_id: 'evt_retrying', state: 'queued' },
    ]);

    const audit = await database.db
      .selectFrom('audit_events')
      .select(['seq', 'action'])
      .where('account_id', '=', acme.id)
      .orderBy('seq')
      .execute();
    expect(audit.map((row) => [Number(row.seq), row.action])).toEqual([
      [4, 'thing.happened'],
      [5, 'thing.happened'],
      [6, 'audit.purged'],
      [7, 'audit.purged'],
    ]);
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });

    // A second run finds nothing left to do.
    const again = await runRetention(deps, { policy });
    expect(Object.values(again.kinds).every((kind) => kind.removed === 0)).toBe(true);
  });

  it('runs as a daily job that schedules itself once per day', async () => {
    const first = await scheduleRetention(deps);
    expect(first).not.toBeNull();
    expect(await scheduleRetention(deps)).toBeNull();
    expect((await deps.jobs.getJob(retentionDailyJob, first ?? ''))?.runAt).toEqual(new Date('2026-06-02T03:00:00.000Z'));

    const settlements: JobSettlement[] = [];
    deps.jobs.onSettled((settlement) => settlements.push(settlement));
    await deps.jobs.enqueue(retentionDailyJob, { day: '2026-06-01' }, { singletonKey: 'retention-2026-06-01' });
    await deps.jobs.start();
    // Everything due now: on PostgreSQL (real time) the next day's run may be due as well.
    await deps.jobs.drain();
    expect(settlements[0]).toMatchObject({ name: retentionDailyJob.name, outcome: 'done' });
    expect(settlements.every((settlement) => settlement.outcome === 'done')).toBe(true);
    expect(await ids('sessions')).toEqual([2, 4, 5]);
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });
  });
});

describe('retention policy', () => {
  it('takes the documented defaults for what the configuration leaves out', () => {
    expect(retentionPolicyOf({})).toEqual({
      days: {
        audit_events: 1095,
        sessions: 30,
        login_attempts: 30,
        message_bodies: 30,
        legacy_password_hashes: 0,
        finished_jobs: 30,
        sign_in_events: 90,
        sign_in_addresses: 30,
        security_events: 30,
      },
      batchSize: 5000,
    });
    expect(retentionPolicyOf({ retentionSessionsDays: 7 }).days.sessions).toBe(7);
  });
});
