import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import type { Account, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { readMessageDataConfidential } from '../courier/outbox.service.js';
import { vendorIdentity } from '../../config/vendor.js';
import { renderStoredMessage } from '../courier/templates/index.js';
import { recordGrantExpiry } from './grants.service.js';
import type { GrantView } from './staff-access.schema.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(backends)(
  'staff access grants (/api/v2/staff_access/grants) on %s, in order: each test builds on the ones before',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let deps: ServiceDeps & { clock: FixedClock };
    let app: FastifyInstance;
    let acme: Account;
    let admin: User;
    let adminSession: TestSession;
    let agentSession: TestSession;
    let adminToken: string;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      deps = testDeps(database);
      app = await buildTestApp(deps);
      acme = await insertAccount(database.db, 'acme', { owner_email: 'owner@acme.test', locale: 'fr' });
      admin = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin', name: 'Ada' });
      await insertUser(database.db, acme, 'abe@acme.test', { role: 'admin', locale: 'en' });
      await insertUser(database.db, acme, 'gone@acme.test', { role: 'admin', active: 0 });
      const agent = await insertUser(database.db, acme, 'al@acme.test', { role: 'agent' });
      adminSession = await signIn(deps, acme, admin);
      agentSession = await signIn(deps, acme, agent);
      const token = await app.inject({
        method: 'POST',
        url: '/api/v2/api_tokens.json',
        headers: adminSession.headers,
        payload: { api_token: { description: 'grants' } },
      });
      adminToken = token.json<{ api_token: { token: string } }>().api_token.token;
    });
    afterAll(async () => {
      await app.close();
      await database.dispose();
    });

    const grant = (duration: string, headers: Record<string, string> = adminSession.headers) =>
      app.inject({ method: 'POST', url: '/api/v2/staff_access/grants.json', headers, payload: { grant: { duration } } });

    it('grants for a day, week, month, year or indefinitely, each ending when it should', async () => {
      const now = deps.clock.now().getTime();
      const expected: Record<string, string | null> = {
        day: new Date(now + DAY_MS).toISOString(),
        week: new Date(now + 7 * DAY_MS).toISOString(),
        month: new Date(now + 30 * DAY_MS).toISOString(),
        year: new Date(now + 365 * DAY_MS).toISOString(),
        indefinite: null,
      };
      for (const [duration, expiresAt] of Object.entries(expected)) {
        const response = await grant(duration);
        expect(response.statusCode, duration).toBe(201);
        expect(response.json<{ grant: GrantView }>().grant).toMatchObject({
          duration,
          status: 'active',
          expires_at: expiresAt,
          granted_by: admin.id,
          revoked_at: null,
        });
      }
      const listed = await app.inject({ url: '/api/v2/staff_access/grants.json', headers: adminSession.headers });
      expect(listed.json<{ grants: GrantView[] }>().grants.map((g) => g.duration)).toEqual(['indefinite', 'year', 'month', 'week', 'day']);
    });

    it('audits each grant on the account chain and mails the owner and every active admin once, in their language', async () => {
      const created = (await grant('week')).json<{ grant: GrantView }>().grant;
      const events = await database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('account_id', '=', acme.id)
        .where('action', '=', 'staff_access.granted')
        .where('target_id', '=', String(created.id))
        .execute();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor_type: 'user', actor_id: String(admin.id), target_type: 'staff_access_grant' });
      expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({ duration: 'week', expires_at: created.expires_at, via: 'session' });

      const messages = await database.db
        .selectFrom('messages')
        .selectAll()
        .where('account_id', '=', acme.id)
        .where('idempotency_key', 'like', `staff_access:${created.id}:granted:%`)
        .orderBy('recipient')
        .execute();
      expect(messages.map((m) => [m.recipient, m.locale, m.purpose])).toEqual([
        ['abe@acme.test', 'en', 'staff_access_changed'],
        ['ada@acme.test', 'fr', 'staff_access_changed'],
        ['owner@acme.test', 'fr', 'staff_access_changed'],
      ]);
      const first = messages[0];
      if (first === undefined) throw new Error('no message');
      const data = await readMessageDataConfidential(deps, first);
      // The courier's template accepts exactly this data (it throws on anything else).
      expect(renderStoredMessage(first.purpose, first.locale, data, vendorIdentity({})).subject).toBe('Staff access granted: acme');
      expect(data).toEqual({
        accountName: 'acme',
        subdomain: 'acme',
        change: 'granted',
        duration: 'week',
        expiresAt: created.expires_at,
        changedBy: 'Ada <ada@acme.test>',
      });
    });

    it('lets an admin grant with an API token too', async () => {
      const response = await grant('day', { host: hostOf(acme), authorization: apiTokenAuthorization('ada@acme.test', adminToken) });
      expect(response.statusCode).toBe(201);
    });

    it('revokes at once, audits and mails; revoking again is a 422 saying it already ended', async () => {
      const created = (await grant('month')).json<{ grant: GrantView }>().grant;
      const revoked = await app.inject({
        method: 'DELETE',
        url: `/api/v2/staff_access/grants/${created.id}.json`,
        headers: adminSession.headers,
      });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json<{ grant: GrantView }>().grant).toMatchObject({ status: 'revoked', revoked_by: admin.id });
      const again = await app.inject({
        method: 'DELETE',
        url: `/api/v2/staff_access/grants/${created.id}.json`,
        headers: adminSession.headers,
      });
      expect(again.statusCode).toBe(422);
      expect(again.json<{ description: string }>().description).toContain('already been revoked');
      const audited = await database.db
        .selectFrom('audit_events')
        .select('action')
        .where('account_id', '=', acme.id)
        .where('target_id', '=', String(created.id))
        .execute();
      expect(audited.map((e) => e.action)).toEqual(['staff_access.granted', 'staff_access.revoked']);
      const mails = await database.db
        .selectFrom('messages')
        .select('recipient')
        .where('idempotency_key', 'like', `staff_access:${created.id}:revoked:%`)
        .execute();
      expect(mails).toHaveLength(3);
    });

    it('refuses a duration it does not offer with a 422 listing those it does', async () => {
      const response = await grant('fortnight');
      expect(response.statusCode).toBe(422);
      expect(response.json<{ description: string }>().description).toContain('day, week, month, year, indefinite');
      expect((await grant('')).statusCode).toBe(422);
      const missing = await app.inject({
        method: 'POST',
        url: '/api/v2/staff_access/grants.json',
        headers: adminSession.headers,
        payload: {},
      });
      expect(missing.statusCode).toBe(400);
      expect(missing.json<{ description: string }>().description).toContain('grant');
    });

    it.each(['trial', 'trial_expired'] as const)('refuses grants on a %s account with a 422 saying why', async (status) => {
      const trial = await insertAccount(database.db, `t-${status.replace('_', '-')}`, { status });
      const trialAdmin = await insertUser(database.db, trial, `root@${trial.subdomain}.test`, { role: 'admin' });
      const session = await signIn(deps, trial, trialAdmin);
      const response = await grant('day', session.headers);
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ error: 'StaffAccessUnavailable' });
      expect(response.json<{ description: string }>().description).toMatch(/trial/);
      expect(await database.db.selectFrom('staff_access_grants').selectAll().where('account_id', '=', trial.id).execute()).toEqual([]);
    });

    it('refuses agents (403), anonymous callers (401) and cookie writes without the CSRF token (403)', async () => {
      expect((await grant('day', agentSession.headers)).statusCode).toBe(403);
      expect((await app.inject({ url: '/api/v2/staff_access/grants.json', headers: agentSession.headers })).statusCode).toBe(403);
      expect((await grant('day', { host: hostOf(acme) })).statusCode).toBe(401);
      const withoutCsrf = await grant('day', { host: hostOf(acme), cookie: adminSession.cookie });
      expect(withoutCsrf.statusCode).toBe(403);
      expect(withoutCsrf.json()).toMatchObject({ error: 'InvalidCsrfToken' });
      const first = (await app.inject({ url: '/api/v2/staff_access/grants.json', headers: adminSession.headers })).json<{
        grants: GrantView[];
      }>().grants[0];
      const revokeWithoutCsrf = await app.inject({
        method: 'DELETE',
        url: `/api/v2/staff_access/grants/${first?.id ?? 0}.json`,
        headers: { host: hostOf(acme), cookie: adminSession.cookie },
      });
      expect(revokeWithoutCsrf.statusCode).toBe(403);
    });

    it("answers another account's grant id with 404, and leaves that grant alone", async () => {
      const globex = await insertAccount(database.db, 'globex');
      const globexAdmin = await insertUser(database.db, globex, 'gil@globex.test', { role: 'admin' });
      const globexSession = await signIn(deps, globex, globexAdmin);
      const acmeGrant = (await grant('indefinite')).json<{ grant: GrantView }>().grant;
      const response = await app.inject({
        method: 'DELETE',
        url: `/api/v2/staff_access/grants/${acmeGrant.id}.json`,
        headers: globexSession.headers,
      });
      expect(response.statusCode).toBe(404);
      const listed = await app.inject({ url: '/api/v2/staff_access/grants.json', headers: globexSession.headers });
      expect(listed.json<{ grants: GrantView[] }>().grants).toEqual([]);
      const still = await database.db
        .selectFrom('staff_access_grants')
        .select('revoked_at')
        .where('account_id', '=', acme.id)
        .where('id', '=', acmeGrant.id)
        .executeTakeFirstOrThrow();
      expect(still.revoked_at).toBeNull();
    });
    // Last: it moves the clock a day on, past every session above.
    it('records an expiry once, at the expiry time, and not for a grant revoked before it', async () => {
      const expiring = (await grant('day')).json<{ grant: GrantView }>().grant;
      const revokedFirst = (await grant('day')).json<{ grant: GrantView }>().grant;
      await app.inject({ method: 'DELETE', url: `/api/v2/staff_access/grants/${revokedFirst.id}.json`, headers: adminSession.headers });
      const expiredEvents = () =>
        database.db
          .selectFrom('audit_events')
          .select(['target_id', 'actor_type'])
          .where('account_id', '=', acme.id)
          .where('action', '=', 'staff_access.expired')
          .where('target_id', 'in', [String(expiring.id), String(revokedFirst.id)])
          .execute();
      // SQLite's queue runs on the test clock; pg-boss runs on the database's, which the test clock cannot move,
      // so there the job's handler is called as the queue would call it.
      const runDueExpiryJobs = async (): Promise<void> => {
        if (backend === 'sqlite') {
          await deps.jobs.start();
          await deps.jobs.drain();
          return;
        }
        for (const id of [expiring.id, revokedFirst.id])
          await recordGrantExpiry(deps, acme, id).catch((error: unknown) => {
            if (!(error instanceof AppError && error.code === 'GrantNotExpiredYet')) throw error;
          });
      };
      await runDueExpiryJobs();
      expect(await expiredEvents()).toEqual([]);
      await expect(recordGrantExpiry(deps, acme, expiring.id)).rejects.toMatchObject({ code: 'GrantNotExpiredYet' });

      deps.clock.advance(DAY_MS + 1);
      await runDueExpiryJobs();
      await runDueExpiryJobs();
      expect(await recordGrantExpiry(deps, acme, expiring.id)).toBe(false);
      expect(await expiredEvents()).toEqual([{ target_id: String(expiring.id), actor_type: 'system' }]);
      const mails = await database.db
        .selectFrom('messages')
        .selectAll()
        .where('idempotency_key', 'like', `staff_access:${expiring.id}:expired:%`)
        .execute();
      expect(mails).toHaveLength(3);
      const mail = mails[0];
      if (mail === undefined) throw new Error('no message');
      const expiredData = await readMessageDataConfidential(deps, mail);
      expect(expiredData).toMatchObject({ change: 'expired', changedBy: null, duration: 'day' });
      expect(renderStoredMessage(mail.purpose, mail.locale, expiredData, vendorIdentity({})).text).toMatch(/has expired|a expiré/);
      const byToken = { host: hostOf(acme), authorization: apiTokenAuthorization('ada@acme.test', adminToken) };
      const listed = await app.inject({ url: '/api/v2/staff_access/grants.json', headers: byToken });
      expect(listed.json<{ grants: GrantView[] }>().grants.find((g) => g.id === expiring.id)?.status).toBe('expired');
      expect((await verifyAuditChains(database.db, testKeyring(database), acme.id)).ok).toBe(true);
    });
  },
);
