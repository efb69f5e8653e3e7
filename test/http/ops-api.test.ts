import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps, testKeyring } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../support/identity-fixtures.js';
import { buildScopePopulation, SCOPE_CUTOFF, SEED_SELECTOR, type ScopePopulation } from '../support/scope-population.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import type { FixedClock } from '../../src/platform/clock.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import { createStaffUser, type CreatedStaffUser } from '../../src/modules/staff/staff.service.js';
import { totpCodeAt } from '../../src/modules/staff/totp.js';
import { IN_ORDER } from '../support/in-order.js';
import { addTimelineEvent } from '../../src/modules/incidents/incidents.service.js';
import {
  evidenceWireSchema,
  incidentSummaryWireSchema,
  incidentWireSchema,
  taskWireSchema,
  timelineEventWireSchema,
  type EvidenceWire,
  type IncidentAnswer,
  type IncidentListAnswer,
  type TaskAnswer,
} from '../../src/modules/incidents/incidents-ops.schema.js';
import {
  exposureChangeWireSchema,
  exposureWireSchema,
  scopeComparisonWireSchema,
  scopeExplanationWireSchema,
  scopeWireSchema,
  type ExposureChangeWire,
  type ExposureListAnswer,
  type ScopeComparisonWire,
  type ScopeExplanationWire,
  type ScopeWire,
} from '../../src/modules/incidents/scope-ops.schema.js';

interface StaffSession {
  cookie: string;
  csrf: string;
  /** Cookie and CSRF header, as a signed-in operator console sends on a write. */
  headers: { cookie: string; 'x-csrf-token': string };
}

const STEP_MS = 30_000;

describe.each(backends)('the operator API (/ops/v1) on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let population: ScopePopulation;
  let operator: CreatedStaffUser;
  let support: CreatedStaffUser;
  let customer: TestSession;
  let customerToken: string;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    population = await buildScopePopulation(database.db);
    operator = await createStaffUser(deps, { email: 'Olga@Vendor.test', name: 'Olga', role: 'operator', actor: { type: 'cli' } });
    support = await createStaffUser(deps, { email: 'sam@vendor.test', name: 'Sam', role: 'support', actor: { type: 'cli' } });
    const acme = population.accounts.acme;
    const admin = await insertUser(database.db, acme, 'root@acme.test', { role: 'admin' });
    customer = await signIn(deps, acme, admin);
    const token = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens',
      headers: customer.headers,
      payload: { api_token: { description: 'ops probe' } },
    });
    customerToken = token.json<{ api_token: { token: string } }>().api_token.token;
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  /** Each sign-in moves the clock one TOTP step on, since a code works once. */
  async function postSession(email: string, password: string, totp: string): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'POST', url: '/ops/v1/session', payload: { email, password, totp } });
  }

  async function staffSignIn(staff: CreatedStaffUser): Promise<StaffSession> {
    deps.clock.advance(STEP_MS);
    const response = await postSession(staff.email, staff.password, await totpCodeAt(staff.totpSecret, deps.clock.now()));
    expect(response.statusCode).toBe(200);
    const setCookie = String(response.headers['set-cookie']);
    const cookie = setCookie.split(';')[0] ?? '';
    const csrf = response.json<{ csrf_token: string }>().csrf_token;
    return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
  }

  it('signs staff in with password and a real TOTP code, in a strict, HttpOnly cookie scoped to /ops', async () => {
    deps.clock.advance(STEP_MS);
    const code = await totpCodeAt(operator.totpSecret, deps.clock.now());
    const response = await postSession('olga@vendor.test', operator.password, code);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ staff: { id: operator.id, email: 'olga@vendor.test', role: 'operator' } });
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^riposte_staff=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('Path=/ops');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain('Secure');
    expect(operator.otpauthUri).toMatch(/^otpauth:\/\/totp\/Riposte:olga%40vendor\.test\?.*secret=[A-Z2-7]+/);
  });

  it('accepts a code from one step back (clock drift)', async () => {
    deps.clock.advance(STEP_MS * 2);
    const previous = await totpCodeAt(support.totpSecret, new Date(deps.clock.now().getTime() - STEP_MS));
    expect((await postSession(support.email, support.password, previous)).statusCode).toBe(200);
  });

  it('answers a wrong password, a wrong code, a reused code and an unknown email with the same 401', async () => {
    deps.clock.advance(STEP_MS * 2);
    const code = await totpCodeAt(operator.totpSecret, deps.clock.now());
    const wrongCode = code === '000000' ? '111111' : '000000';
    const failures = [
      await postSession(operator.email, `${operator.password}x`, code),
      await postSession(operator.email, operator.password, wrongCode),
      await postSession('nobody@vendor.test', operator.password, code),
    ];
    // The right code after a wrong password still works: a failed attempt burns nothing.
    expect((await postSession(operator.email, operator.password, code)).statusCode).toBe(200);
    failures.push(await postSession(operator.email, operator.password, code));
    for (const failure of failures) {
      expect(failure.statusCode).toBe(401);
      expect(failure.json()).toEqual(failures[0]?.json());
      expect(failure.headers['set-cookie']).toBeUndefined();
    }
    expect(failures[0]?.json()).toMatchObject({ error: 'Unauthorized' });
  });

  it('refuses callers without a staff session, and customer credentials of any kind, with 401', async () => {
    // Customer credentials sent to the operator host; on the account's own host /ops does not exist.
    const attempts = [
      {},
      { cookie: customer.cookie },
      { ...customer.headers, host: 'localhost' },
      { host: 'localhost', authorization: apiTokenAuthorization('root@acme.test', customerToken) },
      { cookie: 'riposte_staff=not-a-session' },
    ];
    for (const headers of attempts) {
      const response = await app.inject({ method: 'GET', url: '/ops/v1/incidents', headers });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: 'Unauthorized' });
    }
    const write = await app.inject({
      method: 'POST',
      url: '/ops/v1/incidents',
      headers: { ...customer.headers, host: 'localhost' },
      payload: { title: 'x', became_aware_at: '2026-05-30T09:00:00Z' },
    });
    expect(write.statusCode).toBe(401);
    const onAccountHost = await app.inject({
      method: 'GET',
      url: '/ops/v1/incidents',
      headers: { host: hostOf(population.accounts.acme), authorization: apiTokenAuthorization('root@acme.test', customerToken) },
    });
    expect(onAccountHost.statusCode).toBe(404);
  });

  it('refuses support staff on incident routes (403) and writes without the CSRF token (403)', async () => {
    const sam = await staffSignIn(support);
    const read = await app.inject({ method: 'GET', url: '/ops/v1/incidents', headers: sam.headers });
    expect(read.statusCode).toBe(403);
    expect(read.json<{ description: string }>().description).toContain('operator');

    const olga = await staffSignIn(operator);
    const declare = { title: 'Credential store accessed', became_aware_at: '2026-05-30T09:00:00Z' };
    const withoutCsrf = await app.inject({
      method: 'POST',
      url: '/ops/v1/incidents',
      headers: { cookie: olga.cookie },
      payload: declare,
    });
    expect(withoutCsrf.statusCode).toBe(403);
    const wrongCsrf = await app.inject({
      method: 'POST',
      url: '/ops/v1/incidents',
      headers: { cookie: olga.cookie, 'x-csrf-token': sam.csrf },
      payload: declare,
    });
    expect(wrongCsrf.statusCode).toBe(403);
    expect(await database.db.selectFrom('incidents').select('id').execute()).toEqual([]);
  });

  it('ignores customer Authorization headers entirely: the customer hooks never run on /ops/v1', async () => {
    const olga = await staffSignIn(operator);
    // On customer routes an empty Bearer token is a 401 "malformed"; here it is not even read.
    const response = await app.inject({
      method: 'GET',
      url: '/ops/v1/incidents',
      headers: { ...olga.headers, authorization: 'Bearer ' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('lets an operator declare, expose, scope, rotate and export evidence over HTTP, every write audited as staff', async () => {
    const olga = await staffSignIn(operator);
    const headers = olga.headers;
    const declared = await app.inject({
      method: 'POST',
      url: '/ops/v1/incidents',
      headers,
      payload: { title: 'Credential store accessed', became_aware_at: '2026-05-30T09:00:00Z', cutoff: SCOPE_CUTOFF },
    });
    expect(declared.statusCode).toBe(201);
    const incident = declared.json<{ incident: { id: number; state: string; tasks: Array<{ id: number; due_at: string }> } }>().incident;
    expect(incident.state).toBe('investigating');
    expect(incident.tasks[0]?.due_at).toBe('2026-06-02T09:00:00.000Z');
    const base = `/ops/v1/incidents/${incident.id}`;

    const listed = await app.inject({ method: 'GET', url: '/ops/v1/incidents', headers });
    expect(listed.json<{ incidents: Array<{ id: number }> }>().incidents.map((i) => i.id)).toContain(incident.id);

    const badSelector = await app.inject({
      method: 'POST',
      url: `${base}/exposures`,
      headers,
      payload: { category: 'password_hashes', selector: { field: 'user.shoe_size', op: 'eq', value: 1 } },
    });
    expect(badSelector.statusCode).toBe(422);

    const exposed = await app.inject({
      method: 'POST',
      url: `${base}/exposures`,
      headers,
      payload: { category: 'password_hashes', selector: SEED_SELECTOR },
    });
    expect(exposed.statusCode).toBe(201);
    expect(exposed.json()).toMatchObject({ scope_version: 1, accounts_in_scope: 3, exposure: { category: 'password_hashes' } });

    const exposures = await app.inject({ method: 'GET', url: `${base}/exposures`, headers });
    expect(exposures.json<{ exposures: unknown[] }>().exposures).toHaveLength(1);

    const scope = await app.inject({ method: 'GET', url: `${base}/scope`, headers });
    expect(scope.statusCode).toBe(200);
    const snapshot = scope.json<{ version: number; accounts: Array<{ subdomain: string; categories: string[] }> }>();
    expect(snapshot.version).toBe(1);
    expect(snapshot.accounts.map((a) => a.subdomain)).toContain('acme');
    expect(snapshot.accounts.find((a) => a.subdomain === 'acme')?.categories).toEqual(['password_hashes']);

    const explained = await app.inject({ method: 'GET', url: `${base}/scope/explain?account=acme&email=ana@acme.test`, headers });
    expect(explained.statusCode).toBe(200);
    expect(explained.json()).toMatchObject({ subdomain: 'acme' });

    const drafted = await app.inject({ method: 'POST', url: `${base}/campaigns`, headers, payload: { selector: SEED_SELECTOR } });
    expect(drafted.statusCode).toBe(201);
    const draft = drafted.json<{ campaign: { id: number; state: string; dry_run: { targets: number } } }>().campaign;
    expect(draft.state).toBe('draft');
    expect(draft.dry_run.targets).toBeGreaterThan(0);

    const started = await app.inject({ method: 'POST', url: `/ops/v1/campaigns/${draft.id}/start`, headers });
    expect(started.statusCode).toBe(200);
    expect(started.json()).toMatchObject({ campaign: { state: 'running', progress: { total: draft.dry_run.targets } } });
    await deps.jobs.start();
    await deps.jobs.drain();
    const progress = await app.inject({ method: 'GET', url: `/ops/v1/campaigns/${draft.id}`, headers });
    expect(progress.statusCode).toBe(200);
    expect(progress.json()).toMatchObject({
      campaign: { state: 'done', progress: { done: draft.dry_run.targets, total: draft.dry_run.targets } },
      completion: { campaign_id: draft.id, flagged: draft.dry_run.targets },
    });

    const evidence = await app.inject({ method: 'GET', url: `${base}/evidence?account=acme`, headers });
    expect(evidence.statusCode).toBe(200);
    expect(evidence.json()).toMatchObject({ controller: { subdomain: 'acme' } });
    const page = await app.inject({ method: 'GET', url: `${base}/evidence?account=acme&format=html`, headers });
    expect(page.headers['content-type']).toContain('text/html');

    const audited = await database.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'actor_id'])
      .where('action', 'in', ['incident.declared', 'incident.exposure_added', 'rotation_campaign.drafted', 'rotation_campaign.started'])
      .execute();
    expect(audited.map((event) => event.action).sort()).toEqual([
      'incident.declared',
      'incident.exposure_added',
      'rotation_campaign.drafted',
      'rotation_campaign.started',
    ]);
    for (const event of audited) expect([event.actor_type, String(event.actor_id)]).toEqual(['staff', String(operator.id)]);
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
  });

  it('answers the incident, task, exposure, scope and evidence routes with their declared snake_case fields only', async () => {
    const { headers } = await staffSignIn(operator);
    const answers: Array<{ url: string; body: unknown }> = [];
    const call = async <T>(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, status = 200): Promise<T> => {
      const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(status);
      const body = response.json<T>();
      answers.push({ url, body });
      return body;
    };
    const keysOf = (value: object): string[] => Object.keys(value).sort();
    const declared = (schema: { properties: object }): string[] => Object.keys(schema.properties).sort();
    const upperCaseKeys = (value: unknown, path = ''): string[] => {
      if (Array.isArray(value)) return value.flatMap((item, index) => upperCaseKeys(item, `${path}[${index}]`));
      if (value === null || typeof value !== 'object') return [];
      return Object.entries(value).flatMap(([key, child]) => [
        ...(/[A-Z]/.test(key) ? [`${path}.${key}`] : []),
        ...upperCaseKeys(child, `${path}.${key}`),
      ]);
    };

    const { incidents } = await call<IncidentListAnswer>('GET', '/ops/v1/incidents');
    const summary = incidents[0];
    if (summary === undefined) throw new Error('no incident');
    expect(keysOf(summary)).toEqual(declared(incidentSummaryWireSchema));
    const base = `/ops/v1/incidents/${summary.id}`;
    // Timeline data as writers record it: a notice wave's camelCase counts, lists, and deeper objects.
    await addTimelineEvent(deps, {
      incidentId: summary.id,
      kind: 'note',
      summary: 'Probe',
      data: { customers: { queued: 2, alreadyQueued: 1 }, subdomains: ['acme', 'beta'], nested: { deeper: { x: 1 } }, note: null },
      actor: { type: 'cli' },
    });

    const added = await call<TaskAnswer>('POST', `${base}/tasks`, { title: 'Forensic firm engaged', owner: 'Olga' }, 201);
    expect(keysOf(added.task)).toEqual(declared(taskWireSchema));
    const done = await call<TaskAnswer>('POST', `${base}/tasks/${added.task.id}/done`, { public: true });
    expect(done.task).toMatchObject({ id: added.task.id, public: true, overdue: false, done_at: expect.any(String) as unknown });
    const moved = await call<IncidentAnswer>('POST', `${base}/transitions`, { state: 'identified', note: 'Entry point found' });
    expect(moved.incident).toMatchObject({ state: 'identified', allowed_next_states: ['remediating', 'monitoring', 'closed'] });

    const { incident } = await call<IncidentAnswer>('GET', base);
    expect(keysOf(incident)).toEqual(declared(incidentWireSchema));
    expect(incident.overdue_tasks).toBe(incident.tasks.filter((task) => task.overdue).length);
    for (const event of incident.timeline) expect(keysOf(event)).toEqual(declared(timelineEventWireSchema));
    expect(incident.timeline.find((event) => event.kind === 'note')?.data).toEqual({
      customers: { queued: 2, already_queued: 1 },
      subdomains: ['acme', 'beta'],
      nested: { deeper: '{"x":1}' },
      note: null,
    });
    expect(incident.timeline.find((event) => event.kind === 'task_completed')?.data).toEqual({ task_id: added.task.id, public: true });

    const acmeId = Number(population.accounts.acme.id);
    const listed = await call<ExposureChangeWire>('POST', `${base}/exposures`, { category: 'contact_pii', account_ids: [acmeId] }, 201);
    expect(keysOf(listed)).toEqual(declared(exposureChangeWireSchema));
    expect(listed).toMatchObject({
      scope_version: 2,
      exposure: { category: 'contact_pii', target: { kind: 'accounts', account_ids: [acmeId] } },
    });
    const { exposures } = await call<ExposureListAnswer>('GET', `${base}/exposures`);
    expect(exposures.map((exposure) => exposure.target.kind)).toEqual(['selector', 'accounts']);
    for (const exposure of exposures) expect(keysOf(exposure)).toEqual(declared(exposureWireSchema));

    const scope = await call<ScopeWire>('GET', `${base}/scope`);
    expect(keysOf(scope)).toEqual(declared(scopeWireSchema));
    expect(scope.accounts.find((account) => account.subdomain === 'acme')).toMatchObject({
      account_id: acmeId,
      categories: ['contact_pii', 'password_hashes'],
      people_by_role: { agents: expect.any(Number) as unknown, end_users: expect.any(Number) as unknown },
    });
    expect((await call<ScopeWire>('GET', `${base}/scope?version=1`)).version).toBe(1);
    const diff = await call<ScopeComparisonWire>('GET', `${base}/scope/diff?from=1&to=2`);
    expect(keysOf(diff)).toEqual(declared(scopeComparisonWireSchema));
    expect(diff.categories_changed).toContainEqual({ subdomain: 'acme', added: ['contact_pii'], removed: [] });

    const withEmail = await call<ScopeExplanationWire>('GET', `${base}/scope/explain?account=acme&email=ana@acme.test`);
    expect(keysOf(withEmail)).toEqual(declared(scopeExplanationWireSchema));
    expect(withEmail).toMatchObject({ in_scope: true, version: 2, categories: ['contact_pii', 'password_hashes'] });
    expect(withEmail.exposures[0]?.users?.[0]).toMatchObject({ user_id: expect.any(Number) as unknown, explanation: { path: '' } });
    expect(withEmail.exposures[1]).toMatchObject({ kind: 'accounts', matched: true });
    const withoutEmail = await call<ScopeExplanationWire>('GET', `${base}/scope/explain?account=acme`);
    expect(withoutEmail.exposures[0]?.matched_users).toBeGreaterThan(0);

    const removed = await call<ExposureChangeWire>('DELETE', `${base}/exposures/${listed.exposure.id}`);
    expect(removed).toMatchObject({ scope_version: 3, exposure: { removed_at: expect.any(String) as unknown } });

    const evidence = await call<EvidenceWire>('GET', `${base}/evidence?account=acme`);
    expect(keysOf(evidence)).toEqual(declared(evidenceWireSchema));
    expect(evidence.measures_taken.actions_taken).toContainEqual({ title: 'Forensic firm engaged', done_at: done.task.done_at });

    for (const { url, body } of answers) expect(upperCaseKeys(body), url).toEqual([]);
  });

  it('signs out: the cookie stops working at once', async () => {
    const olga = await staffSignIn(operator);
    const out = await app.inject({ method: 'DELETE', url: '/ops/v1/session', headers: olga.headers });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await app.inject({ method: 'GET', url: '/ops/v1/incidents', headers: olga.headers });
    expect(after.statusCode).toBe(401);
    const events = await database.db
      .selectFrom('audit_events')
      .select('action')
      .where('account_id', '=', PLATFORM_ACCOUNT_ID)
      .where('action', 'like', 'staff.%')
      .execute();
    expect(new Set(events.map((e) => e.action))).toEqual(new Set(['staff.created', 'staff.signed_in', 'staff.signed_out']));
  });
});
