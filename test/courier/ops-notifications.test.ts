import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { createStaffUser, type CreatedStaffUser } from '../../src/modules/staff/staff.service.js';
import { totpCodeAt } from '../../src/modules/staff/totp.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { buildNoticePopulation, type NoticePopulation } from './notice-population.js';
import { IN_ORDER } from '../support/in-order.js';
import type { NotificationReportAnswer, NotifyAnswer } from '../../src/modules/notices/notices-ops.schema.js';

type Report = NotificationReportAnswer;

/** Every key of a JSON value that is not snake_case, by its path. */
function camelCaseKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => camelCaseKeys(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(/[A-Z]/.test(key) ? [`${path}.${key}`] : []),
    ...camelCaseKeys(child, `${path}.${key}`),
  ]);
}

describe.each(backends)(
  'operators notify customers over HTTP (/ops/v1/incidents/{id}/notifications) on %s, in order: each test builds on the ones before',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let deps: ReturnType<typeof testDeps>;
    let app: FastifyInstance;
    let smtp: SmtpTestServer;
    let population: NoticePopulation;
    let operator: CreatedStaffUser;
    let support: CreatedStaffUser;
    let url: string;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      smtp = await new SmtpTestServer().start();
      deps = testDeps(database);
      deps.config = { ...deps.config, smtpUrl: smtp.url() };
      app = await buildTestApp(deps);
      population = await buildNoticePopulation(deps);
      await deps.jobs.start();
      await deps.jobs.drain();
      operator = await createStaffUser(deps, { email: 'olga@vendor.test', name: 'Olga', role: 'operator', actor: { type: 'cli' } });
      support = await createStaffUser(deps, { email: 'sam@vendor.test', name: 'Sam', role: 'support', actor: { type: 'cli' } });
      url = `/ops/v1/incidents/${population.incidentId}/notifications`;
    });
    afterAll(async () => {
      await app.close();
      await smtp.stop();
      await database.dispose();
    });

    async function signIn(staff: CreatedStaffUser): Promise<{ cookie: string; 'x-csrf-token': string }> {
      deps.clock.advance(30_000);
      const response = await app.inject({
        method: 'POST',
        url: '/ops/v1/session',
        payload: { email: staff.email, password: staff.password, totp: await totpCodeAt(staff.totpSecret, deps.clock.now()) },
      });
      expect(response.statusCode).toBe(200);
      return {
        cookie: String(response.headers['set-cookie']).split(';')[0] ?? '',
        'x-csrf-token': response.json<{ csrf_token: string }>().csrf_token,
      };
    }

    it('refuses callers without a staff session (401), support staff (403), writes without CSRF (403) and bad bodies (400)', async () => {
      expect((await app.inject({ method: 'POST', url, payload: {} })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
      const sam = await signIn(support);
      expect((await app.inject({ method: 'GET', url, headers: sam })).statusCode).toBe(403);
      const olga = await signIn(operator);
      expect((await app.inject({ method: 'POST', url, headers: { cookie: olga.cookie }, payload: {} })).statusCode).toBe(403);
      const badType = await app.inject({ method: 'POST', url, headers: olga, payload: { users: 'yes' } });
      expect(badType.statusCode).toBe(400);
      expect(badType.json<{ description: string }>().description).toContain('users');
      expect((await app.inject({ method: 'GET', url: `${url}?per_page=1000`, headers: olga })).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: `${url}?page[after]=forged`, headers: olga })).statusCode).toBe(400);
      expect(
        (await app.inject({ method: 'POST', url: '/ops/v1/incidents/999/notifications', headers: olga, payload: {} })).statusCode,
      ).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/ops/v1/incidents/999/notifications', headers: olga })).statusCode).toBe(404);
      const unscoped = await declareIncident(deps, {
        title: 'No scope yet',
        becameAwareAt: '2026-05-30T09:00:00Z',
        actor: { type: 'cli' },
      });
      const conflict = await app.inject({
        method: 'POST',
        url: `/ops/v1/incidents/${unscoped.id}/notifications`,
        headers: olga,
        payload: {},
      });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json<{ description: string }>().description).toContain('add an exposure first');
      expect(await database.db.selectFrom('messages').select('id').execute()).toEqual([]);
    });

    it('queues the notices once, delivers them, and reports sent, pending and failed per account with the server’s answers', async () => {
      smtp.plan('security@acme.test', { code: 550, message: 'Mailbox disabled' });
      const olga = await signIn(operator);
      const queued = await app.inject({ method: 'POST', url, headers: olga, payload: { users: true } });
      expect(queued.statusCode).toBe(202);
      expect(queued.json<NotifyAnswer>()).toEqual({
        notification: {
          incident_id: population.incidentId,
          scope_version: 3,
          users: true,
          retry_failed: false,
          job_id: expect.any(String),
        },
        report: { incident_id: population.incidentId, totals: expect.any(Object), by_purpose: expect.any(Object) },
      });
      // The notices are built by a background job, which queues the courier's drains: the second drain waits for those.
      await deps.jobs.drain();
      await deps.jobs.drain();

      const report = (await app.inject({ method: 'GET', url, headers: olga })).json<Report>();
      expect(report.totals).toEqual({ total: 8, sent: 7, pending: 0, failed: 1 });
      expect(report.by_purpose).toMatchObject({ customer_incident_notice: { total: 5 }, user_rotation_notice: { total: 3 } });
      expect(report.accounts.map((a) => [a.subdomain, a.sent, a.failed])).toEqual([
        ['acme', 4, 1],
        ['globex', 2, 0],
        ['initech', 1, 0],
      ]);
      expect(report.failed).toMatchObject([
        { account_id: population.accounts.acme.id, purpose: 'customer_incident_notice', recipient: 'security@acme.test', attempts: 1 },
      ]);
      expect(report.failed[0]?.error).toContain('Mailbox disabled');
      expect(report.failed[0]?.server_response).toContain('550');

      const firstPage = (await app.inject({ method: 'GET', url: `${url}?per_page=1`, headers: olga })).json<Report>();
      expect(firstPage.accounts.map((a) => a.subdomain)).toEqual(['acme']);
      expect(firstPage.count).toBe(3);
      expect(firstPage.next_page).toContain(`${url}?page=2&per_page=1`);
      const secondPage = (await app.inject({ method: 'GET', url: `${url}?page=2&per_page=1`, headers: olga })).json<Report>();
      expect(secondPage.accounts.map((a) => a.subdomain)).toEqual(['globex']);
      expect(secondPage.failed).toEqual([]);
      const cursor = (await app.inject({ method: 'GET', url: `${url}?page[size]=2`, headers: olga })).json<Report>();
      expect(cursor.meta?.has_more).toBe(true);
      expect(cursor.accounts).toHaveLength(2);
      // Only declared snake_case keys: the totals, the page's accounts and failures, and the links of its style.
      expect(Object.keys(report).sort()).toEqual([
        'accounts',
        'by_purpose',
        'count',
        'failed',
        'incident_id',
        'next_page',
        'previous_page',
        'totals',
      ]);
      expect(Object.keys(cursor).sort()).toEqual(['accounts', 'by_purpose', 'failed', 'incident_id', 'links', 'meta', 'totals']);
      for (const answer of [queued.json(), report, firstPage, cursor]) expect(camelCaseKeys(answer)).toEqual([]);

      const again = await app.inject({ method: 'POST', url, headers: olga, payload: { users: true } });
      expect(again.statusCode).toBe(202);
      await deps.jobs.drain();
      await deps.jobs.drain();
      expect(smtp.accepted).toHaveLength(7);
      expect((await app.inject({ method: 'GET', url, headers: olga })).json<Report>().totals).toEqual(report.totals);
      const timeline = await database.db
        .selectFrom('incident_events')
        .select('data')
        .where('incident_id', '=', population.incidentId)
        .where('kind', '=', 'customers_notified')
        .orderBy('seq')
        .execute();
      expect(timeline.map((event) => JSON.parse(event.data) as unknown)).toMatchObject([
        { accounts: 3, customers: { queued: 5, alreadyQueued: 0 }, users: { queued: 3, alreadyQueued: 0 } },
        { accounts: 3, customers: { queued: 0, alreadyQueued: 5 }, users: { queued: 0, alreadyQueued: 3 } },
      ]);
      const audited = await database.db
        .selectFrom('audit_events')
        .select(['actor_type', 'actor_id'])
        .where('action', '=', 'incident.notified')
        .execute();
      expect(audited).toEqual([
        { actor_type: 'staff', actor_id: String(operator.id) },
        { actor_type: 'staff', actor_id: String(operator.id) },
      ]);
    });

    it('queues the failed notices again with retry_failed, once the cause is fixed, and only those', async () => {
      const olga = await signIn(operator);
      expect((await app.inject({ method: 'POST', url, headers: olga, payload: { retry_failed: 'yes' } })).statusCode).toBe(400);
      const retried = await app.inject({ method: 'POST', url, headers: olga, payload: { retry_failed: true } });
      expect(retried.statusCode).toBe(202);
      expect(retried.json()).toMatchObject({ notification: { retry_failed: true } });
      await deps.jobs.drain();
      await deps.jobs.drain();
      expect((await app.inject({ method: 'GET', url, headers: olga })).json<Report>().totals).toEqual({
        total: 8,
        sent: 8,
        pending: 0,
        failed: 0,
      });
      expect(smtp.accepted).toHaveLength(8);
      expect(smtp.accepted.filter((mail) => mail.to.includes('security@acme.test'))).toHaveLength(1);
      const latest = await database.db
        .selectFrom('incident_events')
        .select('data')
        .where('incident_id', '=', population.incidentId)
        .where('kind', '=', 'customers_notified')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(latest.data)).toMatchObject({ requeued: 1, customers: { queued: 0 } });
    });
  },
);
