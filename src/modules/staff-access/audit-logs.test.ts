import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { openRuntime, runCli } from '../../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { createTestStaff, staffSignIn } from '../../../test/support/staff-fixtures.js';
import { registerAuditExportCommand } from '../../cli/audit-export.js';
import type { Account } from '../../db/schema.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { AuditLogView } from './audit-logs.schema.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

interface CursorPage {
  audit_logs: AuditLogView[];
  meta: { has_more: boolean; after_cursor: string | null };
  links: { next: string | null };
}

const HOUR_MS = 60 * 60 * 1000;

describe.each(backends)(
  'the audit trail API (/api/v2/audit_logs) on %s, in order: each test builds on the ones before',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let deps: ServiceDeps & { clock: FixedClock };
    let app: FastifyInstance;
    let acme: Account;
    let globex: Account;
    let admin: TestSession;
    let agent: TestSession;
    let adminId: number;
    let startedAt: string;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      deps = testDeps(database);
      app = await buildTestApp(deps);
      acme = await insertAccount(database.db, 'acme');
      globex = await insertAccount(database.db, 'globex');
      const ada = await insertUser(database.db, acme, 'ada@acme.test', { role: 'admin', name: '=HYPERLINK("http://evil.test","x")' });
      adminId = ada.id;
      startedAt = deps.clock.now().toISOString();
      // Twelve events an hour apart: user actions, system actions, and one whose data tries formula injection.
      for (let index = 0; index < 12; index += 1) {
        deps.clock.advance(HOUR_MS);
        await recordAudit(database.db, deps, {
          accountId: acme.id,
          actor: index % 3 === 0 ? { type: 'system' } : { type: 'user', id: ada.id },
          action: index % 2 === 0 ? 'user.updated' : 'api_token.created',
          target: { type: 'user', id: ada.id },
          data: { index, note: index === 5 ? '@SUM(A1:A9)' : 'fine' },
        });
      }
      await recordAudit(database.db, deps, { accountId: globex.id, actor: { type: 'system' }, action: 'user.updated' });
      // Signed in after the clock moved, so the sessions are fresh.
      admin = await signIn(deps, acme, ada);
      agent = await signIn(deps, acme, await insertUser(database.db, acme, 'al@acme.test', { role: 'agent' }));
    });
    afterAll(async () => {
      await app.close();
      await database.dispose();
    });

    const get = (url: string, headers: Record<string, string> = admin.headers) => app.inject({ url, headers });

    it('lists the account’s events newest first in Zendesk’s shape, with actor names', async () => {
      const response = await get('/api/v2/audit_logs.json');
      expect(response.statusCode).toBe(200);
      const logs = response.json<CursorPage>().audit_logs;
      expect(logs.length).toBeGreaterThanOrEqual(12);
      expect(logs.map((log) => log.id)).toEqual([...logs.map((log) => log.id)].sort((a, b) => b - a));
      const userEvent = logs.find((log) => log.actor_type === 'user' && log.action === 'api_token.created');
      expect(userEvent).toMatchObject({
        actor_id: adminId,
        actor_name: '=HYPERLINK("http://evil.test","x")',
        source_type: 'user',
        source_id: adminId,
        data: { note: 'fine' },
      });
      expect(typeof userEvent?.created_at).toBe('string');
    });

    it('filters by action, actor type and a created_at range, and combines them', async () => {
      const byAction = (await get('/api/v2/audit_logs.json?filter[action]=api_token.created')).json<CursorPage>().audit_logs;
      expect(byAction.length).toBe(6);
      expect(byAction.every((log) => log.action === 'api_token.created')).toBe(true);

      const bySystem = (await get('/api/v2/audit_logs.json?filter[actor_type]=system')).json<CursorPage>().audit_logs;
      expect(bySystem.map((log) => (log.data as { index: number }).index).sort((a, b) => a - b)).toEqual([0, 3, 6, 9]);

      // Hours 3 to 5 after the start hold events 2, 3 and 4 (the first came at hour 1); the bounds may come in either order.
      const from = new Date(Date.parse(startedAt) + 3 * HOUR_MS).toISOString();
      const to = new Date(Date.parse(startedAt) + 5 * HOUR_MS).toISOString();
      const range = `filter[created_at][]=${to}&filter[created_at][]=${from}`;
      const inRange = (await get(`/api/v2/audit_logs.json?${range}`)).json<CursorPage>().audit_logs;
      expect(inRange.map((log) => (log.data as { index: number }).index)).toEqual([4, 3, 2]);
      const combined = (
        await get(`/api/v2/audit_logs.json?${range}&filter[actor_type]=user&filter[action]=user.updated`)
      ).json<CursorPage>();
      expect(combined.audit_logs.map((log) => (log.data as { index: number }).index)).toEqual([4, 2]);
    });

    it('pages with cursors, keeping the filters in links.next, until has_more is false', async () => {
      const seen: number[] = [];
      let url: string | null = '/api/v2/audit_logs.json?filter[action]=user.updated&page[size]=4';
      let pages = 0;
      while (url !== null) {
        const page: CursorPage = (await get(url.replace(/^https?:\/\/[^/]+/, ''))).json<CursorPage>();
        pages += 1;
        seen.push(...page.audit_logs.map((log) => (log.data as { index: number }).index));
        expect(page.meta.has_more).toBe(page.links.next !== null);
        if (page.links.next !== null) expect(page.links.next).toContain('filter%5Baction%5D=user.updated');
        url = page.links.next;
      }
      expect(pages).toBe(2);
      expect(seen).toEqual([10, 8, 6, 4, 2, 0]);
      const oldestFirst = (await get('/api/v2/audit_logs.json?filter[action]=user.updated&sort=created_at&per_page=4')).json<{
        audit_logs: AuditLogView[];
        count: number;
        next_page: string | null;
      }>();
      expect(oldestFirst.audit_logs.map((log) => (log.data as { index: number }).index)).toEqual([0, 2, 4, 6]);
      expect(oldestFirst.count).toBe(6);
      expect(oldestFirst.next_page).toContain('page=2');
    });

    it('answers bad filters and cursors with a 400 that names the parameter', async () => {
      for (const url of [
        '/api/v2/audit_logs.json?filter[created_at][]=yesterday&filter[created_at][]=2026-01-01T00:00:00Z',
        '/api/v2/audit_logs.json?filter[created_at][]=2026-01-01T00:00:00Z',
        '/api/v2/audit_logs.json?filter[actor_type]=robot',
        '/api/v2/audit_logs.json?page[after]=bm90LWEtY3Vyc29y',
        '/api/v2/audit_logs.json?page[size]=1000',
      ]) {
        const response = await get(url);
        expect(response.statusCode, url).toBe(400);
        expect(response.json<{ description: string }>().description, url).toMatch(/filter\[created_at\]\[\]|filter\[actor_type\]|page\[/);
      }
    });

    it('refuses agents, anonymous callers and other accounts’ admins see only their own', async () => {
      expect((await get('/api/v2/audit_logs.json', agent.headers)).statusCode).toBe(403);
      expect((await get('/api/v2/audit_logs/export.csv', agent.headers)).statusCode).toBe(403);
      expect((await get('/api/v2/audit_logs.json', { host: hostOf(acme) })).statusCode).toBe(401);
      const gil = await signIn(deps, globex, await insertUser(database.db, globex, 'gil@globex.test', { role: 'admin' }));
      const theirs = (await get('/api/v2/audit_logs.json', gil.headers)).json<CursorPage>().audit_logs;
      expect(theirs.map((log) => log.action)).toContain('user.updated');
      expect(theirs.map((log) => log.action)).not.toContain('api_token.created');
    });

    it('exports CSV with RFC 4180 quoting and formula injection neutralised, with the same filters, via API token too', async () => {
      const token = await app.inject({
        method: 'POST',
        url: '/api/v2/api_tokens.json',
        headers: admin.headers,
        payload: { api_token: { description: 'export' } },
      });
      const tokenHeaders = {
        host: hostOf(acme),
        authorization: apiTokenAuthorization('ada@acme.test', token.json<{ api_token: { token: string } }>().api_token.token),
      };
      const response = await get('/api/v2/audit_logs/export.csv?filter[action]=api_token.created', tokenHeaders);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      const lines = response.body.split('\r\n');
      expect(lines.at(-1)).toBe('');
      expect(lines[0]).toBe('id,created_at,action,actor_type,actor_id,actor_name,source_type,source_id,data,personal_data');
      const rows = lines.slice(1, -1);
      // Six recorded above, and the creation of the token this request uses.
      expect(rows.length).toBe(7);
      const byUser = rows.filter((row) => row.includes(',api_token.created,user,'));
      expect(byUser.length).toBe(5);
      for (const row of byUser) expect(row).toContain(`,api_token.created,user,${adminId},"'=HYPERLINK(""http://evil.test"",""x"")",`);
      for (const row of rows) expect(row).not.toMatch(/(^|,)"?[=+\-@]/);
      // A JSON cell is quoted (it holds commas and quotes) and starts with "{", so it cannot run.
      expect(rows.find((row) => row.includes('@SUM'))).toContain('"{""index"":5,""note"":""@SUM(A1:A9)""}"');
    });

    it('lets operators read an account’s trail (JSON and CSV), each read itself an audited staff read the customer sees', async () => {
      const olga = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'olga@vendor.test', 'operator'));
      const page = await app.inject({
        url: '/ops/v1/audit_logs.json?account=acme&filter[actor_type]=system&page[size]=2',
        headers: olga.headers,
      });
      expect(page.statusCode).toBe(200);
      const body = page.json<CursorPage>();
      expect(body.audit_logs).toHaveLength(2);
      expect(body.links.next).toContain('account=acme');
      const csv = await app.inject({ url: '/ops/v1/audit_logs.csv?account=acme', headers: olga.headers });
      expect(csv.statusCode).toBe(200);
      expect(csv.body.split('\r\n')[0]).toContain('id,created_at,action');
      expect((await app.inject({ url: '/ops/v1/audit_logs.json?account=nope', headers: olga.headers })).statusCode).toBe(404);
      const sam = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'support'));
      expect((await app.inject({ url: '/ops/v1/audit_logs.json?account=acme', headers: sam.headers })).statusCode).toBe(403);

      const events = (await get('/api/v2/staff_access/events.json?sort=created_at')).json<{
        staff_access_events: Array<AuditLogView & { data: { what: string } }>;
      }>().staff_access_events;
      expect(events.map((event) => [event.action, event.data.what, event.actor_type])).toEqual([
        ['staff.read', 'audit_logs.list', 'staff'],
        ['staff.read', 'audit_logs.export', 'staff'],
      ]);
      expect(events[0]?.data).toMatchObject({ filters: { actorType: 'system' } });
    });

    it('exports from the command line (riposte audit export), recorded as a read by the CLI', async () => {
      const exportAudit = (since: string) =>
        runCli(
          (program, output) => registerAuditExportCommand(program.command('audit'), openRuntime(deps), output),
          ['audit', 'export', '--account', 'acme', '--since', since],
        );
      const { stdout } = await exportAudit(new Date(Date.parse(startedAt) + 10 * HOUR_MS).toISOString());
      const lines = stdout.trimEnd().split('\r\n');
      expect(lines[0]).toContain('id,created_at');
      // Events 9, 10 and 11 (hours 10 to 12), then the reads recorded since, oldest first.
      expect(
        lines
          .slice(1, 4)
          .map((line) => JSON.parse(/"(\{.*\})"/.exec(line)?.[1]?.replaceAll('""', '"') ?? '{}') as { index: number })
          .map((d) => d.index),
      ).toEqual([9, 10, 11]);
      const cliRead = await database.db
        .selectFrom('audit_events')
        .select(['actor_type', 'data'])
        .where('account_id', '=', acme.id)
        .where('action', '=', 'staff.read')
        .where('actor_type', '=', 'cli')
        .execute();
      expect(cliRead).toHaveLength(1);
      await expect(exportAudit('last week')).rejects.toThrow(/ISO 8601/);
    });
  },
);
