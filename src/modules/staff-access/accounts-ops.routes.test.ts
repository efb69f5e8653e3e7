import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../../../test/support/staff-fixtures.js';
import type { Account, User } from '../../db/schema.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { disableStaffUser } from '../staff/staff-admin.service.js';
import type { CreatedStaffUser } from '../staff/staff.service.js';
import { IN_ORDER } from '../../../test/support/in-order.js';
import {
  staffInstallationWireSchema,
  staffUserWireSchema,
  type StaffInstallationPageAnswer,
  type StaffUserAnswer,
  type StaffUserPageAnswer,
} from './accounts-ops.schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;

interface StaffEvent {
  id: number;
  action: string;
  actor_type: string;
  actor_id: number;
  actor_name: string | null;
  source_type: string | null;
  source_id: number | string | null;
  data: { what: string; grant_id?: number; staff_role?: string };
  personal_data?: unknown;
}

describe.each(backends)(
  'grant-gated staff routes (/ops/v1/accounts/{subdomain}) on %s, in order: each test builds on the ones before',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let deps: ServiceDeps & { clock: FixedClock };
    let app: FastifyInstance;
    let acme: Account;
    let globex: Account;
    let ana: User;
    let globexUser: User;
    let support: CreatedStaffUser;
    let operator: CreatedStaffUser;
    let acmeAdmin: User;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      deps = testDeps(database);
      app = await buildTestApp(deps);
      acme = await insertAccount(database.db, 'acme');
      globex = await insertAccount(database.db, 'globex');
      acmeAdmin = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin' });
      ana = await insertUser(database.db, acme, 'ana@acme.test', { role: 'agent' });
      await insertUser(database.db, globex, 'gil@globex.test', { role: 'admin' });
      globexUser = await insertUser(database.db, globex, 'gus@globex.test', { role: 'agent' });
      support = await createTestStaff(deps, 'sam@vendor.test', 'support');
      const installed = await app.inject({
        method: 'POST',
        url: '/api/v2/apps/installations.json',
        headers: (await signIn(deps, acme, acmeAdmin)).headers,
        payload: { app_id: 1001, settings: { channel: '#help', api_token: 'xoxb-secret-value' } },
      });
      expect(installed.statusCode).toBe(201);
      operator = await createTestStaff(deps, 'olga@vendor.test', 'operator');
    });
    afterAll(async () => {
      await app.close();
      await database.dispose();
    });

    /** A fresh admin session: the clock moves by days in here, past any older one. */
    const admin = (): Promise<TestSession> => signIn(deps, acme, acmeAdmin);
    const sam = (): Promise<StaffSession> => staffSignIn(app, deps.clock, support);

    async function grant(duration: string): Promise<number> {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v2/staff_access/grants.json',
        headers: (await admin()).headers,
        payload: { grant: { duration } },
      });
      expect(response.statusCode).toBe(201);
      return response.json<{ grant: { id: number } }>().grant.id;
    }

    async function revoke(id: number): Promise<void> {
      const response = await app.inject({
        method: 'DELETE',
        url: `/api/v2/staff_access/grants/${id}.json`,
        headers: (await admin()).headers,
      });
      expect(response.statusCode).toBe(200);
    }

    const readUsers = (session: StaffSession, subdomain = 'acme') =>
      app.inject({ url: `/ops/v1/accounts/${subdomain}/users`, headers: session.headers });

    async function staffEvents(): Promise<StaffEvent[]> {
      const response = await app.inject({ url: '/api/v2/staff_access/events.json?sort=created_at', headers: (await admin()).headers });
      expect(response.statusCode).toBe(200);
      return response.json<{ staff_access_events: StaffEvent[] }>().staff_access_events;
    }

    function expectRefusedForNoGrant(response: { statusCode: number; json: <T>() => T }): void {
      expect(response.statusCode).toBe(403);
      const body = response.json<{ error: string; description: string }>();
      expect(body.error).toBe('StaffAccessNotGranted');
      expect(body.description).toContain('The customer must grant access');
    }

    it('refuses staff on an account that never granted access, and records nothing', async () => {
      const session = await sam();
      expectRefusedForNoGrant(await readUsers(session));
      expectRefusedForNoGrant(await app.inject({ url: `/ops/v1/accounts/acme/users/${ana.id}`, headers: session.headers }));
      expectRefusedForNoGrant(await app.inject({ url: '/ops/v1/accounts/acme/installations', headers: session.headers }));
      expectRefusedForNoGrant(
        await app.inject({ method: 'POST', url: `/ops/v1/accounts/acme/users/${ana.id}/suspend`, headers: session.headers, payload: {} }),
      );
      expect(await staffEvents()).toEqual([]);
      const nowhere = await readUsers(session, 'nosuchaccount');
      expect(nowhere.statusCode).toBe(404);
    });

    it('allows support and operators while a grant is in force, each access listed to the customer', async () => {
      const grantId = await grant('day');
      const session = await sam();
      const users = await readUsers(session);
      expect(users.statusCode).toBe(200);
      expect(users.json<{ users: Array<{ email: string }> }>().users.map((u) => u.email)).toEqual(['ada@acme.test', 'ana@acme.test']);
      const shown = await app.inject({ url: `/ops/v1/accounts/acme/users/${ana.id}`, headers: session.headers });
      expect(shown.json()).toMatchObject({ user: { id: ana.id, email: 'ana@acme.test' } });
      const installations = await app.inject({ url: '/ops/v1/accounts/acme/installations', headers: session.headers });
      expect(installations.statusCode).toBe(200);
      const [installation] = installations.json<{ installations: Array<Record<string, unknown>> }>().installations;
      expect(installation).toMatchObject({
        app_id: 1001,
        enabled: true,
        secure_settings: { api_token: { set_at: expect.any(String) as unknown } },
      });
      expect(typeof installation?.app_name).toBe('string');
      // Staff see that a secret is set and since when, never a setting's value.
      expect(installations.body).not.toContain('xoxb-secret-value');
      expect(installations.body).not.toContain('#help');
      const olga = await staffSignIn(app, deps.clock, operator);
      expect((await readUsers(olga)).statusCode).toBe(200);

      const events = await staffEvents();
      expect(events.map((e) => [e.action, e.data.what, e.actor_id])).toEqual([
        ['staff.read', 'users.list', support.id],
        ['staff.read', 'user.show', support.id],
        ['staff.read', 'installations.list', support.id],
        ['staff.read', 'users.list', operator.id],
      ]);
      expect(events[1]).toMatchObject({
        actor_type: 'staff',
        actor_name: 'sam',
        source_type: 'user',
        source_id: ana.id,
        data: { grant_id: grantId, staff_role: 'support' },
      });
      await revoke(grantId);
    });

    it('answers with the declared fields only, on offset and cursor pages alike', async () => {
      const grantId = await grant('day');
      const session = await sam();
      const read = async <T>(url: string): Promise<T> => {
        const response = await app.inject({ url, headers: session.headers });
        expect(response.statusCode, url).toBe(200);
        return response.json<T>();
      };
      const keysOf = (value: object | undefined): string[] => Object.keys(value ?? {}).sort();
      const declared = (schema: { properties: object }): string[] => Object.keys(schema.properties).sort();

      const offset = await read<StaffUserPageAnswer>('/ops/v1/accounts/acme/users?per_page=1');
      expect(keysOf(offset)).toEqual(['count', 'next_page', 'previous_page', 'users']);
      expect(offset).toMatchObject({ count: 2, previous_page: null, next_page: expect.stringContaining('page=2') as unknown });
      expect(keysOf(offset.users[0])).toEqual(declared(staffUserWireSchema));
      const cursor = await read<StaffUserPageAnswer>('/ops/v1/accounts/acme/users?page[size]=1');
      expect(keysOf(cursor)).toEqual(['links', 'meta', 'users']);
      expect(cursor.meta).toMatchObject({ has_more: true, after_cursor: expect.any(String) as unknown });
      const shown = await read<StaffUserAnswer>(`/ops/v1/accounts/acme/users/${ana.id}`);
      expect(keysOf(shown.user)).toEqual(declared(staffUserWireSchema));
      const installations = await read<StaffInstallationPageAnswer>('/ops/v1/accounts/acme/installations');
      expect(keysOf(installations.installations[0])).toEqual(declared(staffInstallationWireSchema));
      expect(installations.installations[0]?.secure_settings).toEqual({ api_token: { set_at: expect.any(String) as unknown } });
      await revoke(grantId);
    });

    it('lets staff suspend and reinstate a user under a grant: sessions end, the write is listed', async () => {
      const grantId = await grant('week');
      const anaSession = await signIn(deps, acme, ana);
      const session = await sam();
      const suspend = await app.inject({
        method: 'POST',
        url: `/ops/v1/accounts/acme/users/${ana.id}/suspend`,
        headers: session.headers,
        payload: { reason: 'customer asked in ticket 4521' },
      });
      expect(suspend.statusCode).toBe(200);
      expect(suspend.json()).toMatchObject({ user: { id: ana.id, suspended: true, active: false } });
      expect((await app.inject({ url: '/api/v2/users/me.json', headers: anaSession.headers })).statusCode).toBe(401);
      const twice = await app.inject({
        method: 'POST',
        url: `/ops/v1/accounts/acme/users/${ana.id}/suspend`,
        headers: session.headers,
        payload: {},
      });
      expect(twice.statusCode).toBe(422);
      const reinstate = await app.inject({
        method: 'POST',
        url: `/ops/v1/accounts/acme/users/${ana.id}/unsuspend`,
        headers: session.headers,
      });
      expect(reinstate.json()).toMatchObject({ user: { suspended: false } });

      const writes = (await staffEvents()).filter((e) => e.action === 'staff.write');
      expect(writes.map((e) => [e.data.what, e.source_id])).toEqual([
        ['user.suspend', ana.id],
        ['user.unsuspend', ana.id],
      ]);
      expect(writes[0]?.data).toMatchObject({ sessions_revoked: 1 });
      // The reason is free text about the user: kept apart from the hashed data, so erasing the user removes it.
      expect(writes[0]?.personal_data).toEqual({ reason: 'customer asked in ticket 4521' });
      await revoke(grantId);
    });

    it('refuses staff writes without the CSRF token, even under a grant', async () => {
      const grantId = await grant('day');
      const session = await sam();
      const response = await app.inject({
        method: 'POST',
        url: `/ops/v1/accounts/acme/users/${ana.id}/suspend`,
        headers: { cookie: session.cookie },
        payload: {},
      });
      expect(response.statusCode).toBe(403);
      expect((await database.db.selectFrom('users').select('active').where('id', '=', ana.id).executeTakeFirstOrThrow()).active).toBe(1);
      await revoke(grantId);
    });

    it('refuses staff again the moment the grant is revoked', async () => {
      const grantId = await grant('indefinite');
      const session = await sam();
      expect((await readUsers(session)).statusCode).toBe(200);
      await revoke(grantId);
      expectRefusedForNoGrant(await readUsers(session));
    });

    it('refuses staff again the moment the grant expires, by the clock, before any job has run', async () => {
      await grant('day');
      deps.clock.advance(DAY_MS - 60_000);
      expect((await readUsers(await sam())).statusCode).toBe(200);
      deps.clock.advance(60_000);
      expectRefusedForNoGrant(await readUsers(await sam()));
    });

    it('gives nothing on another account: a grant of acme opens no door at globex', async () => {
      const grantId = await grant('day');
      const session = await sam();
      expectRefusedForNoGrant(await readUsers(session, 'globex'));
      expectRefusedForNoGrant(await app.inject({ url: `/ops/v1/accounts/globex/users/${globexUser.id}`, headers: session.headers }));
      // A globex user addressed through acme's grant is not found there.
      expect((await app.inject({ url: `/ops/v1/accounts/acme/users/${globexUser.id}`, headers: session.headers })).statusCode).toBe(404);
      await revoke(grantId);
    });

    it('refuses staff on a trial account even with a grant row in place', async () => {
      const trial = await insertAccount(database.db, 'trialco', { status: 'trial' });
      await database.db
        .insertInto('staff_access_grants')
        .values({
          account_id: trial.id,
          id: 999_001,
          duration: 'indefinite',
          granted_by: 1,
          granted_at: deps.clock.now().toISOString(),
          expires_at: null,
          revoked_at: null,
          revoked_by: null,
          expiry_recorded_at: null,
        })
        .execute();
      expectRefusedForNoGrant(await readUsers(await sam(), 'trialco'));
    });

    it('refuses a disabled staff member at once: their live session stops working', async () => {
      const grantId = await grant('day');
      const temp = await createTestStaff(deps, 'tim@vendor.test', 'support');
      const session = await staffSignIn(app, deps.clock, temp);
      expect((await readUsers(session)).statusCode).toBe(200);
      await disableStaffUser(deps, { email: 'tim@vendor.test', actor: { type: 'cli' } });
      const after = await readUsers(session);
      expect(after.statusCode).toBe(401);
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/ops/v1/session',
            payload: { email: temp.email, password: temp.password, totp: '000000' },
          })
        ).statusCode,
      ).toBe(401);
      await revoke(grantId);
      expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
    });

    it('exports every staff access as CSV for the customer, oldest first', async () => {
      const response = await app.inject({ url: '/api/v2/staff_access/events.csv', headers: (await admin()).headers });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/csv');
      expect(response.headers['content-disposition']).toContain('staff-access-acme.csv');
      const lines = response.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe('id,created_at,action,actor_type,actor_id,actor_name,source_type,source_id,data,personal_data');
      const json = (await staffEvents()).map((e) => e.id);
      expect(lines.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(json);
      expect(lines.slice(1).every((line) => /,staff\.(read|write),staff,\d+,/.test(line))).toBe(true);
      // Globex's admin sees none of acme's.
      const gil = await signIn(
        deps,
        globex,
        await database.db.selectFrom('users').selectAll().where('email', '=', 'gil@globex.test').executeTakeFirstOrThrow(),
      );
      const theirs = await app.inject({ url: '/api/v2/staff_access/events.json', headers: gil.headers });
      expect(theirs.json()).toMatchObject({ staff_access_events: [] });
    });
  },
);
