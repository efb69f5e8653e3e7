import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { exposedAlertJob } from '../../src/modules/auth/exposed-passwords/exposed-alert.job.js';
import { hashSaltedSha1 } from '../../src/modules/auth/password-formats.js';
import { hashPassword, passwordArgon2idVerifications, wrapLegacyHash } from '../../src/modules/auth/passwords/password-hashing.js';
import { changePassword } from '../../src/modules/auth/passwords/passwords.service.js';
import { exposedHashPlace } from '../../src/modules/auth/exposed-passwords/exposed-passwords.repo.js';
import { decryptSecretsConfidential } from '../../src/platform/crypto/envelope.service.js';
import { createCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { startCampaign } from '../../src/modules/incidents/campaign-start.service.js';
import { applyCampaignBatch } from '../../src/modules/incidents/rotation-batch.service.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { eraseDeletedUser } from '../../src/modules/erasure/user-erasure.service.js';
import { markDeleted } from '../../src/modules/users/deleted-users.service.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { hostOf, insertPasswordCredential, insertUser } from '../support/identity-fixtures.js';
import { IN_ORDER } from '../support/in-order.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { createTestStaff } from '../support/staff-fixtures.js';
import { waitUntil } from '../support/wait-until.js';

const CUTOFF = '2016-11-01T00:00:00.000Z';
const BEFORE = '2015-03-01T00:00:00.000Z';
const AFTER = '2018-03-01T00:00:00.000Z';
const OLD = { ana: 'Exposed-Ana-Password-2015', dana: 'Exposed-Dana-Password-2015', bob: 'Bob-Current-Password-2018' };
const NEW = { ana: 'Velvet-Compass-Evening-58', dana: 'Marble-Orchard-Sunrise-31' };
const STUFFER = '198.51.100.66';
const actor = { type: 'cli' as const };
const ALERT_SUBJECT = /Exposed passwords tried on Acme/;

/**
 * The exposed password, watched: a real campaign flags ana (argon2id) and
 * dana (legacy SHA-1 wrapped in argon2id), who then choose new passwords;
 * bob changed his after the cutoff and is never flagged. The default window
 * is 15 minutes, aligned on the clock: 12:00–12:15, then 12:15–12:30.
 */
describe.each(backends)('the exposed password, watched, on %s', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let smtp: SmtpTestServer;
  let acme: Account;
  const users: Record<'ana' | 'dana' | 'bob', User> = {} as never;
  let incidentId: number;

  const webSignIn = (email: string, password: string, ip: string) =>
    app.inject({
      method: 'POST',
      url: '/access/sign_in',
      headers: { host: hostOf(acme), 'user-agent': 'stuffer/1.0' },
      payload: { email, password },
      remoteAddress: ip,
    });
  const basicAuth = (email: string, password: string, ip: string) =>
    app.inject({
      url: '/api/v2/users/me.json',
      headers: { host: hostOf(acme), authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` },
      remoteAddress: ip,
    });
  const attempts = () => deps.db.selectFrom('exposed_password_attempts').selectAll().orderBy('id').execute();
  const alertMails = () => smtp.accepted.filter((accepted) => ALERT_SUBJECT.test(accepted.mail.subject ?? ''));
  /** PostgreSQL's queue: every alert job due by the database's clock has finished (the fixed clock cannot hold them back). */
  const alertJobsSettled = async () => {
    if (backend !== 'postgres') return;
    await waitUntil(
      async () =>
        (
          await sql<{
            n: number;
          }>`select count(*)::int as n from pgboss.job where name = ${exposedAlertJob.name} and state not in ('completed', 'failed', 'cancelled')`.execute(
            deps.db,
          )
        ).rows[0]?.n === 0,
      { message: 'the alert jobs to settle' },
    );
    await deps.jobs.drain();
  };
  const signInEvents = async (reason: string) => {
    await deps.signInEvents.flush();
    return deps.db.selectFrom('sign_in_events').selectAll().where('reason', '=', reason).execute();
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    smtp = await new SmtpTestServer().start();
    deps = testDeps(database);
    deps.config = { ...deps.config, smtpUrl: smtp.url() };
    app = await buildTestApp(deps);
    acme = await insertAccount(deps.db, 'acme', { name: 'Acme', security_contact_email: 'security@acme.test' });
    const person = async (name: 'ana' | 'dana' | 'bob', hash: string, changedAt: string) => {
      const user = await insertUser(deps.db, acme, `${name}@acme.test`, { role: 'agent' });
      users[name] = await insertPasswordCredential(deps.db, user, { password_hash: hash, password_changed_at: changedAt });
    };
    await person('ana', await hashPassword(OLD.ana), BEFORE);
    const wrapped = await wrapLegacyHash(hashSaltedSha1(OLD.dana, 'd4'));
    if (wrapped === undefined) throw new Error('no wrapped hash');
    await person('dana', wrapped, BEFORE);
    await person('bob', await hashPassword(OLD.bob), AFTER);
    await createTestStaff(deps, 'sam@vendor.test', 'operator');
    await createTestStaff(deps, 'sue@vendor.test', 'support');

    const incident = await declareIncident(deps, {
      title: 'Credential store copied',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: CUTOFF,
      actor,
    });
    const selector = { field: 'user.realm', op: 'eq', value: 'core' };
    await addExposure(deps, { incidentId: incident.id, category: 'password_hashes', selector, actor });
    incidentId = incident.id;
    const campaign = await createCampaign(deps, { incidentId: incident.id, selector });
    const started = await startCampaign(deps, campaign.id);
    // The batches run here, and the job worker starts only once the window's attempts are in: PostgreSQL's
    // queue runs a job by the database's clock, which this test's fixed (past) clock cannot hold back.
    for (let batch = 0; batch < started.batches; batch += 1) await applyCampaignBatch(deps, campaign.id, batch);
  });
  afterAll(async () => {
    await app.close();
    await smtp.stop();
    await database.dispose();
  });

  it('keeps the hash each flagged credential held, sealed, apart from the live one, once its password is replaced', async () => {
    const kept = () => deps.db.selectFrom('exposed_password_hashes').selectAll().orderBy('user_id').execute();
    const flagged = await deps.db
      .selectFrom('password_credentials')
      .select(['user_id', 'must_change', 'password_hash'])
      .orderBy('user_id')
      .execute();
    expect(flagged.map((row) => [Number(row.user_id), Number(row.must_change)])).toEqual([
      [users.ana.id, 1],
      [users.dana.id, 1],
      [users.bob.id, 0],
    ]);
    // Until it is replaced, a flagged user's live hash is the exposed one: the batches sealed nothing.
    expect(await kept()).toEqual([]);
    for (const name of ['ana', 'dana'] as const) {
      await changePassword(deps, { account: acme, user: users[name], newPassword: NEW[name], actor, reason: 'forced' });
    }
    const rows = await kept();
    expect(rows.map((row) => [Number(row.user_id), Number(row.incident_id)])).toEqual([
      [users.ana.id, incidentId],
      [users.dana.id, incidentId],
    ]);
    for (const row of rows) expect(row.hash_sealed).not.toMatch(/argon2|wrapped/);
    const opened = await decryptSecretsConfidential(
      deps.db,
      deps.keyring,
      rows.map((row) => ({ ...exposedHashPlace(row), sealed: row.hash_sealed })),
    );
    expect(opened).toEqual(flagged.slice(0, 2).map((row) => row.password_hash));
  });

  it('refuses the exposed password like a wrong one, on the web and on email:password, and records it', async () => {
    deps.clock.set('2026-06-01T12:01:00.000Z');
    const wrong = await webSignIn('ana@acme.test', 'Not-Her-Password-At-All-1', '203.0.113.5');
    const web = await webSignIn('ana@acme.test', OLD.ana, '203.0.113.5');
    expect(web.statusCode).toBe(401);
    expect(web.json()).toEqual(wrong.json());
    const wrongBasic = await basicAuth('ana@acme.test', 'Not-Her-Password-At-All-1', '203.0.113.5');
    const basic = await basicAuth('ana@acme.test', OLD.ana, '203.0.113.5');
    expect(basic.statusCode).toBe(401);
    expect(basic.json()).toEqual(wrongBasic.json());

    const recorded = await attempts();
    expect(recorded.map((a) => [Number(a.user_id), a.channel, a.ip, Number(a.stuffing)])).toEqual([
      [users.ana.id, 'web', '203.0.113.5', 0],
      [users.ana.id, 'password_basic', '203.0.113.5', 0],
    ]);
    const events = await signInEvents('exposed_password');
    expect(events.map((e) => [Number(e.user_id), e.channel, e.outcome, e.ip])).toEqual(
      expect.arrayContaining([
        [users.ana.id, 'web', 'failed', '203.0.113.5'],
        [users.ana.id, 'password_basic', 'failed', '203.0.113.5'],
      ]),
    );
    const audit = await deps.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'password.exposed_credential_attempt')
      .orderBy('seq')
      .execute();
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0]?.data ?? '{}')).toMatchObject({ channel: 'web', stuffing: false });
    expect(audit[0]?.target_id).toBe(String(users.ana.id));
    expect(JSON.parse(audit[0]?.personal_data ?? '{}')).toMatchObject({ ip: '203.0.113.5', user_agent: 'stuffer/1.0' });
    const security = await deps.db
      .selectFrom('security_events')
      .select(['type', 'body'])
      .where('type', '=', 'password.exposed_credential_attempt')
      .execute();
    expect(security).toHaveLength(2);
  });

  it('records nothing for a random wrong password, and costs an unflagged user no extra hash', async () => {
    const before = (await attempts()).length;
    const flaggedBefore = passwordArgon2idVerifications();
    await webSignIn('dana@acme.test', 'Random-Guess-Not-Exposed-9', '203.0.113.8');
    const flaggedCost = passwordArgon2idVerifications() - flaggedBefore;
    const unflaggedBefore = passwordArgon2idVerifications();
    expect((await webSignIn('bob@acme.test', 'Random-Guess-Not-Exposed-9', '203.0.113.8')).statusCode).toBe(401);
    const unflaggedCost = passwordArgon2idVerifications() - unflaggedBefore;
    expect(unflaggedCost).toBe(1);
    expect(flaggedCost).toBe(2);
    expect(await attempts()).toHaveLength(before);
  });

  it('notes stuffing when one source tries the exposed passwords of two users, and mails one summary per recipient', async () => {
    deps.clock.set('2026-06-01T12:03:00.000Z');
    expect((await webSignIn('dana@acme.test', OLD.dana, STUFFER)).statusCode).toBe(401);
    expect((await basicAuth('ana@acme.test', OLD.ana, STUFFER)).statusCode).toBe(401);
    // Ana's exposed password, stuffed on Bob (never flagged) from an address never seen: recognised by its
    // fingerprint, at no extra hash, and answered like any wrong password.
    const wrongForBob = await webSignIn('bob@acme.test', 'Random-Guess-Not-Exposed-7', '192.0.2.77');
    const hashesBefore = passwordArgon2idVerifications();
    const stuffed = await webSignIn('bob@acme.test', OLD.ana, '192.0.2.77');
    expect(passwordArgon2idVerifications() - hashesBefore).toBe(1);
    expect(stuffed.statusCode).toBe(401);
    expect(stuffed.json()).toEqual(wrongForBob.json());
    const recorded = await attempts();
    expect(recorded.slice(-3).map((a) => [Number(a.user_id), a.ip, Number(a.stuffing), Number(a.exposed_user_id)])).toEqual([
      [users.dana.id, STUFFER, 0, users.dana.id],
      [users.ana.id, STUFFER, 1, users.ana.id],
      [users.bob.id, '192.0.2.77', 1, users.ana.id],
    ]);
    const stuffedAudit = await deps.db
      .selectFrom('audit_events')
      .select(['target_id', 'data'])
      .where('action', '=', 'password.exposed_credential_attempt')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(stuffedAudit.target_id).toBe(String(users.bob.id));
    expect(JSON.parse(stuffedAudit.data ?? '{}')).toMatchObject({ stuffing: true, exposed_user_id: users.ana.id });
    // The fingerprint is keyed: neither the password nor a bare hash of it is stored.
    const fingerprints = await deps.db.selectFrom('exposed_password_fingerprints').selectAll().orderBy('user_id').execute();
    expect(fingerprints.map((row) => Number(row.user_id))).toEqual([users.ana.id, users.dana.id]);
    expect(JSON.stringify(fingerprints)).not.toContain(OLD.ana);
    deps.clock.set('2026-06-01T12:05:00.000Z');
    await deps.jobs.start();
    await deps.jobs.drain();
    await waitUntil(() => alertMails().length >= 2, { message: 'the alert mails', timeoutMs: 55_000 });
    await alertJobsSettled();
    const mails = alertMails();
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['sam@vendor.test', 'security@acme.test']);
    const text = mails[0]?.mail.text ?? '';
    expect(text).toContain('5 sign-in attempt(s)');
    expect(text).toContain('- ana@acme.test');
    expect(text).toContain('- dana@acme.test');
    expect(text).toContain('- bob@acme.test');
    expect(text).toContain(`${STUFFER}: 2 attempt(s), 2 user(s)`);
    expect(text).toContain('Credential stuffing');
    expect(await signInEvents('exposed_password')).toHaveLength(5);
  });

  it('mails nothing more within the window, and a second summary after it', async () => {
    deps.clock.set('2026-06-01T12:10:00.000Z');
    expect((await webSignIn('dana@acme.test', OLD.dana, STUFFER)).statusCode).toBe(401);
    await deps.jobs.drain();
    // Held back to the next window by the queue's clock: SQLite's is the test's. PostgreSQL's is the database's, for
    // which that window is long past, so its job may already have mailed the 12:10 attempt (checked below).
    if (backend === 'sqlite') expect(alertMails()).toHaveLength(2);

    deps.clock.set('2026-06-01T12:20:00.000Z');
    expect((await webSignIn('ana@acme.test', OLD.ana, '192.0.2.44')).statusCode).toBe(401);
    deps.clock.set('2026-06-01T12:22:00.000Z');
    await deps.jobs.drain();
    const mailedAfterFirst = (recipient: string) =>
      alertMails()
        .slice(2)
        .filter((m) => m.to[0] === recipient)
        .reduce((sum, m) => sum + Number(/(\d+) sign-in attempt\(s\)/.exec(m.mail.text ?? '')?.[1] ?? 0), 0);
    await waitUntil(() => mailedAfterFirst('sam@vendor.test') >= 2 && mailedAfterFirst('security@acme.test') >= 2, {
      message: 'the second alert mails',
      timeoutMs: 55_000,
    });
    await deps.jobs.drain();
    expect(mailedAfterFirst('sam@vendor.test')).toBe(2);
    expect(mailedAfterFirst('security@acme.test')).toBe(2);
    // SQLite's queue holds the next window's job back by the test's clock: one summary of both attempts. PostgreSQL's
    // runs it by the database's clock, at once, so the 12:10 attempt may be mailed on its own before the 12:20 one.
    if (backend === 'sqlite') expect(alertMails()).toHaveLength(4);
    expect((await attempts()).every((a) => a.alerted_at !== null)).toBe(true);
  });

  it('erases a user’s exposed hashes, fingerprints and attempts with the user', async () => {
    await markDeleted(deps, acme, users.dana, actor);
    await eraseDeletedUser(deps, acme, users.dana.id, actor);
    const left = await deps.db.selectFrom('exposed_password_hashes').select('user_id').execute();
    expect(left.map((row) => Number(row.user_id))).toEqual([users.ana.id]);
    const fingerprints = await deps.db.selectFrom('exposed_password_fingerprints').select('user_id').execute();
    expect(fingerprints.map((row) => Number(row.user_id))).toEqual([users.ana.id]);
    expect((await attempts()).some((a) => Number(a.user_id) === users.dana.id)).toBe(false);
  });
});
