import { USE_BEFORE_ROTATION_METHOD } from './use-before-rotation.service.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertCertificate } from '../../../test/support/fixtures.js';
import { insertUser, signIn } from '../../../test/support/identity-fixtures.js';
import { buildScopePopulation, SCOPE_CUTOFF, SEED_SELECTOR, type ScopePopulation } from '../../../test/support/scope-population.js';
import type { User } from '../../db/schema.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { startSession } from '../auth/sessions/sessions.service.js';
import { createCampaign } from './campaigns.service.js';
import { startCampaign } from './campaign-start.service.js';
import { addExposure } from './exposures.service.js';
import { declareIncident } from './incidents.service.js';
import { renderEvidenceHtml } from './evidence.html.js';
import { buildEvidence, type Evidence } from './evidence.service.js';
import { securityIncidentsWireSchema } from './customer-view.schema.js';
import { evidenceWireSchema } from './incidents-ops.schema.js';

const actor = { type: 'cli' as const };
const ACTIVATED_BEFORE_CUTOFF = { field: 'account.activated_at', op: 'before', value: SCOPE_CUTOFF };
const INCIDENT_TITLE = 'Credential store copied';

interface CustomerViewScenario {
  population: ScopePopulation;
  incidentId: number;
  admins: { acme: User; beta: User; sellco: User };
}

/**
 * The scope population with an incident exposing password hashes (seed
 * selector), app secrets and TLS keys (accounts activated before the
 * cutoff): acme has a stale Slack installation (1), one rotated in 2017 (2),
 * an exposed certificate (1) and one uploaded after the cutoff (2); sellco
 * has a stale installation (3); beta is out of scope. A rotation campaign
 * has run, ana (acme, signed in before it) has set a new password since.
 */
async function buildCustomerViewScenario(deps: ServiceDeps): Promise<CustomerViewScenario> {
  const db = deps.db;
  const population = await buildScopePopulation(db);
  const { acme, beta, sellco } = population.accounts;
  await db.updateTable('app_installations').set({ app_id: 1001 }).where('account_id', '=', acme.id).where('id', '=', 1).execute();
  await insertCertificate(db, acme, 1, 'help.acme.test', '2016-05-01T00:00:00.000Z');
  await insertCertificate(db, acme, 2, 'new.acme.test', '2017-05-01T00:00:00.000Z');
  const incident = await declareIncident(deps, {
    title: INCIDENT_TITLE,
    becameAwareAt: '2026-05-30T09:00:00Z',
    cutoff: SCOPE_CUTOFF,
    actor,
  });
  await addExposure(deps, { incidentId: incident.id, category: 'password_hashes', selector: SEED_SELECTOR, actor });
  await addExposure(deps, { incidentId: incident.id, category: 'app_secrets', selector: ACTIVATED_BEFORE_CUTOFF, actor });
  await addExposure(deps, { incidentId: incident.id, category: 'tls_keys', selector: ACTIVATED_BEFORE_CUTOFF, actor });

  const ana = population.users.ana;
  if (ana === undefined) throw new Error('the scope population has no ana');
  await startSession(deps, { account: acme, user: ana, ip: '127.0.0.1', userAgent: 'vitest', method: 'password' });
  const draft = await createCampaign(deps, { incidentId: incident.id, selector: SEED_SELECTOR });
  await startCampaign(deps, draft.id);
  await deps.jobs.start();
  await deps.jobs.drain();
  await db
    .updateTable('password_credentials')
    .set({ must_change: 0, password_changed_at: '2026-06-01T12:30:00.000Z' })
    .where('account_id', '=', acme.id)
    .where('user_id', '=', ana.id)
    .execute();

  const bob = population.users.bob;
  if (bob === undefined) throw new Error('the scope population has no bob');
  return {
    population,
    incidentId: incident.id,
    admins: {
      acme: bob,
      beta: await insertUser(db, beta, 'boss@beta.test', { role: 'admin' }),
      sellco: await insertUser(db, sellco, 'boss@sellco.test', { role: 'admin' }),
    },
  };
}

const acmeActionItems = [
  {
    kind: 'rotate_installation_secrets',
    installation_id: 1,
    app_name: 'Slack',
    installed_at: '2016-02-01T00:00:00.000Z',
    stale_fields: [{ field: 'api_token', set_at: '2016-02-01T00:00:00.000Z' }],
  },
  {
    kind: 'replace_certificate',
    certificate_id: 1,
    hostnames: ['help.acme.test'],
    uploaded_at: '2016-05-01T00:00:00.000Z',
    not_after: '2030-01-01T00:00:00.000Z',
  },
];

/** The paths of the objects in a schema that do not list their keys and refuse others. */
function openObjects(schema: unknown, path = '$'): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as { type?: unknown; properties?: object; additionalProperties?: unknown; items?: unknown; anyOf?: unknown[] };
  const isObject = node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'));
  return [
    ...(isObject && (node.properties === undefined || node.additionalProperties !== false) ? [path] : []),
    ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => openObjects(child, `${path}.${key}`)),
    ...openObjects(node.items, `${path}[]`),
    ...(node.anyOf ?? []).flatMap((child, index) => openObjects(child, `${path}|${index}`)),
  ];
}

describe("the customer view's answers", () => {
  it('are closed: every object lists its keys and sends no other', () => {
    expect(openObjects(securityIncidentsWireSchema)).toEqual([]);
    expect(openObjects(evidenceWireSchema)).toEqual([]);
  });
});

describe.each(backends)("the customer's view of security incidents and the Article 33 evidence on %s", (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let scenario: CustomerViewScenario;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    scenario = await buildCustomerViewScenario(deps);
    app = await buildTestApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  const get = async (url: string, account: 'acme' | 'beta' | 'sellco', user?: User) => {
    const session = await signIn(deps, scenario.population.accounts[account], user ?? scenario.admins[account]);
    return app.inject({ url, headers: session.headers });
  };

  it("shows an affected admin exactly the account's categories, items to rotate and rotation progress", async () => {
    const response = await get('/api/v2/security/incidents.json', 'acme');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      incidents: [
        {
          id: scenario.incidentId,
          title: INCIDENT_TITLE,
          state: 'investigating',
          became_aware_at: '2026-05-30T09:00:00.000Z',
          affected: true,
          categories: ['password_hashes', 'tls_keys', 'app_secrets'],
          people: { total: 2, agents: 1, end_users: 1 },
          records: { password_hashes: 2, tls_keys: 1, app_secrets: 1 },
          password_hash_tiers: { critical: 0, high: 0, moderate: 2 },
          action_items: acmeActionItems,
          rotation: { targets: 2, changed: 1, remaining: 1 },
          // No sign-in was recorded in this scenario: measured, and nothing found.
          use_before_rotation: {
            period: { from: expect.any(String), to: expect.any(String) },
            method: USE_BEFORE_ROTATION_METHOD,
            records_since: null,
            sign_ins: 0,
            users: 0,
            unfamiliar: { sign_ins: 0, users: 0 },
            to_investigate: [],
          },
          actions_taken: [],
        },
      ],
    });
  });

  it("never shows another account's items: sellco sees only its own installation", async () => {
    const body = (await get('/api/v2/security/incidents', 'sellco')).json<{ incidents: Array<Record<string, unknown>> }>();
    expect(body.incidents).toHaveLength(1);
    expect(body.incidents[0]).toMatchObject({
      categories: ['tls_keys', 'app_secrets'],
      people: { total: 0, agents: 0, end_users: 0 },
      records: { tls_keys: 0, app_secrets: 1 },
      action_items: [
        {
          kind: 'rotate_installation_secrets',
          installation_id: 3,
          app_name: 'app 1',
          installed_at: '2015-07-01T00:00:00.000Z',
          stale_fields: [{ field: 'api_token', set_at: '2015-07-01T00:00:00.000Z' }],
        },
      ],
      rotation: null,
      use_before_rotation: null,
    });
    expect(JSON.stringify(body)).not.toMatch(/acme|Slack/);
  });

  it('tells an account outside every scope that it is not affected', async () => {
    const response = await get('/api/v2/security/incidents.json', 'beta');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      incidents: [],
      affected: false,
      description: 'Your account is not affected by any security incident.',
    });
  });

  it('refuses agents and end users', async () => {
    const { ana, dana } = scenario.population.users;
    for (const user of [ana, dana]) {
      if (user === undefined) throw new Error('missing user');
      const list = await get('/api/v2/security/incidents', 'acme', user);
      expect(list.statusCode, user.role).toBe(403);
      const evidence = await get(`/api/v2/security/incidents/${scenario.incidentId}/evidence`, 'acme', user);
      expect(evidence.statusCode, user.role).toBe(403);
    }
  });

  it('gives the evidence with every Article 33(3) element', async () => {
    const evidence: Evidence = await buildEvidence(deps, scenario.incidentId, 'acme');
    expect(evidence).toMatchObject({
      article: 'GDPR Art. 33(3)',
      controller: { subdomain: 'acme', name: 'acme' },
      incident: { id: scenario.incidentId, title: INCIDENT_TITLE, state: 'investigating', scope_version: 3 },
      nature: { categories: ['password_hashes', 'tls_keys', 'app_secrets'], exposure_window: null, cutoff: '2016-11-01T00:00:00.000Z' },
      people: { approximate_total: 2, agents_and_admins: 1, end_users: 1 },
      records: { approximate_total: 4, by_category: { password_hashes: 2, tls_keys: 1, app_secrets: 1 } },
      contact_points: {
        controller: { email: 'owner@acme.test', role: 'owner' },
        processor: {
          name: 'Riposte',
          email: 'security@riposte.localhost',
          data_protection_email: 'privacy@riposte.localhost',
          security_programme_url: null,
        },
      },
      measures_taken: {
        password_rotation: { targets: 2, changed: 1, remaining: 1 },
        sessions_revoked: 1,
        installations_rotated: 1,
        certificates_revoked: 0,
        actions_taken: [],
      },
      measures_proposed: acmeActionItems,
    });
    expect(evidence.nature.description).toContain(INCIDENT_TITLE);
    expect(evidence.likely_consequences.map((item) => item.category)).toEqual(['password_hashes', 'tls_keys', 'app_secrets']);
    for (const item of evidence.likely_consequences) expect(item.consequence.length).toBeGreaterThan(20);
    expect(evidence.timeline.map((event) => event.kind)).toEqual([
      'declared',
      'exposure_added',
      'exposure_added',
      'exposure_added',
      'campaign_started',
      'campaign_finished',
    ]);
    expect(evidence.timeline[0]).toEqual({
      occurred_at: expect.any(String),
      kind: 'declared',
      summary: `Incident declared: ${INCIDENT_TITLE}`,
    });
  });

  it("serves the evidence to the account's admin as JSON and as HTML; 404 to an account outside the scope", async () => {
    const json = await get(`/api/v2/security/incidents/${scenario.incidentId}/evidence.json`, 'acme');
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(JSON.parse(JSON.stringify(await buildEvidence(deps, scenario.incidentId, 'acme'))));
    const html = await get(`/api/v2/security/incidents/${scenario.incidentId}/evidence?format=html`, 'acme');
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('<h2>Likely consequences</h2>');
    expect(html.body).toContain('help.acme.test');
    expect((await get(`/api/v2/security/incidents/${scenario.incidentId}/evidence`, 'beta')).statusCode).toBe(404);
    expect((await get('/api/v2/security/incidents/999999/evidence', 'acme')).statusCode).toBe(404);
    const sellco = (await get(`/api/v2/security/incidents/${scenario.incidentId}/evidence`, 'sellco')).json<Evidence>();
    expect(JSON.stringify(sellco.measures_proposed)).not.toMatch(/Slack|acme/);
  });

  it('renders a self-contained printable page with the title escaped', async () => {
    const evidence = await buildEvidence(deps, scenario.incidentId, 'acme');
    const html = renderEvidenceHtml({ ...evidence, incident: { ...evidence.incident, title: '<script>alert("x")</script> & co' } });
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('@media print');
    expect(html).not.toMatch(/<link|src=|href=|@import|url\(/i);
  });
});
