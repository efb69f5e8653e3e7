import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { buildScopePopulation, SCOPE_CUTOFF, type ScopePopulation } from '../../../test/support/scope-population.js';
import { generateKeyPair } from '../../../test/support/sso-fixtures.js';
import type { Account } from '../../db/schema.js';
import { customerIncidentNoticeTemplate } from '../courier/templates/customer-incident-notice.js';
import { vendorIdentity } from '../../config/vendor.js';
import { notifyIncident } from '../notices/incident-notices.service.js';
import { readMessageDataConfidential } from '../courier/outbox.service.js';
import { renderEvidenceHtml } from './evidence.html.js';
import { buildEvidence } from './evidence.service.js';
import { addExposure } from './exposures.service.js';
import { declareIncident } from './incidents.service.js';
import { selectAccountsMatching } from './selectors/selector.compile.js';
import type { Selector } from './selectors/selector.model.js';

const actor = { type: 'cli' as const };
const BEFORE_CUTOFF = '2016-03-01T00:00:00.000Z';
const idpKeys = generateKeyPair('idp.acme.test');
const newIdpKeys = generateKeyPair('idp2.acme.test');

interface ActionItemView {
  kind: string;
  [key: string]: unknown;
}

describe.each(backends)('API tokens, OAuth clients and SSO secrets from before the cutoff on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let population: ScopePopulation;
  let acme: Account;
  let admin: TestSession;
  let sellcoAdmin: TestSession;
  let incidentId: number;
  const ids = { oldToken: 0, newToken: 0, confidential: 0, publicClient: 0 };

  const call = (session: TestSession, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload }) });

  const actionItems = async (): Promise<ActionItemView[]> => {
    const response = await call(admin, 'GET', '/api/v2/security/incidents.json');
    expect(response.statusCode).toBe(200);
    return response.json<{ incidents: Array<{ action_items: ActionItemView[] }> }>().incidents[0]?.action_items ?? [];
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    population = await buildScopePopulation(database.db);
    acme = population.accounts.acme;
    const bob = population.users.bob;
    if (bob === undefined) throw new Error('the scope population has no bob');
    admin = await signIn(deps, acme, bob);
    const sellco = population.accounts.sellco;
    sellcoAdmin = await signIn(deps, sellco, await insertUser(database.db, sellco, 'boss@sellco.test', { role: 'admin' }));

    // Made through the API today; the first of each is then dated back to before the cutoff, as an older one would be.
    const token = async (description: string) =>
      (await call(admin, 'POST', '/api/v2/api_tokens.json', { api_token: { description } })).json<{ api_token: { id: number } }>().api_token
        .id;
    ids.oldToken = await token('Helpdesk sync');
    ids.newToken = await token('Added after the incident');
    const client = async (identifier: string, kind: string) => {
      const response = await call(admin, 'POST', '/api/v2/oauth/clients.json', {
        client: { name: `Client ${identifier}`, identifier, kind, redirect_uri: [`https://${identifier}.acme.test/callback`] },
      });
      expect(response.statusCode).toBe(201);
      return response.json<{ client: { id: number; secret_set_at: string | null } }>().client;
    };
    const confidential = await client('reporting', 'confidential');
    const publicClient = await client('mobile', 'public');
    expect(confidential.secret_set_at).toBe(deps.clock.now().toISOString());
    expect(publicClient.secret_set_at).toBeNull();
    ids.confidential = confidential.id;
    ids.publicClient = publicClient.id;
    const sso = await call(admin, 'PUT', '/api/v2/account/sso.json', {
      sso: {
        jwt: { enabled: true, shared_secret: 'j'.repeat(40), remote_login_url: 'https://idp.acme.test/login' },
        saml: { idp_sso_url: 'https://idp.acme.test/saml', idp_certificate: idpKeys.certificate },
      },
    });
    expect(sso.statusCode).toBe(200);
    expect(sso.json()).toMatchObject({
      sso: { jwt: { shared_secret_set_at: deps.clock.now().toISOString() }, saml: { configured_at: deps.clock.now().toISOString() } },
    });

    const db = database.db;
    await db
      .updateTable('api_tokens')
      .set({ created_at: BEFORE_CUTOFF })
      .where('account_id', '=', acme.id)
      .where('id', '=', ids.oldToken)
      .execute();
    await db
      .updateTable('oauth_clients')
      .set({ created_at: BEFORE_CUTOFF, secret_set_at: BEFORE_CUTOFF })
      .where('account_id', '=', acme.id)
      .where('id', '=', ids.confidential)
      .execute();
    await db
      .updateTable('sso_configs')
      .set({ jwt_secret_set_at: BEFORE_CUTOFF, saml_configured_at: BEFORE_CUTOFF })
      .where('account_id', '=', acme.id)
      .execute();

    const incident = await declareIncident(deps, {
      title: 'Credential store copied',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: SCOPE_CUTOFF,
      actor,
    });
    incidentId = incident.id;
    await addExposure(deps, {
      incidentId,
      category: 'auth_credentials',
      selector: { field: 'account.activated_at', op: 'before', value: SCOPE_CUTOFF },
      actor,
    });
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('lists each credential set before the cutoff, with its date, and nothing set after it', async () => {
    expect(await actionItems()).toEqual([
      {
        kind: 'revoke_api_token',
        api_token_id: ids.oldToken,
        description: 'Helpdesk sync',
        token_hint: expect.any(String),
        created_at: BEFORE_CUTOFF,
        last_used_at: null,
      },
      {
        kind: 'regenerate_oauth_client_secret',
        oauth_client_id: ids.confidential,
        name: 'Client reporting',
        identifier: 'reporting',
        secret_set_at: BEFORE_CUTOFF,
      },
      { kind: 'regenerate_jwt_shared_secret', set_at: BEFORE_CUTOFF },
      { kind: 'replace_saml_configuration', set_at: BEFORE_CUTOFF },
    ]);
    // Sellco was exposed too, and has none of these: its list stays empty, acme's never shows.
    const sellco = await call(sellcoAdmin, 'GET', '/api/v2/security/incidents.json');
    expect(sellco.json<{ incidents: Array<{ action_items: unknown[] }> }>().incidents[0]?.action_items).toEqual([]);
    expect(sellco.body).not.toContain('Helpdesk sync');
  });

  it('puts them in the customer notice, in English and French, and in the evidence', async () => {
    await notifyIncident(deps, { incidentId, actor });
    const queued = await database.db
      .selectFrom('messages')
      .selectAll()
      .where('account_id', '=', acme.id)
      .where('purpose', '=', 'customer_incident_notice')
      .executeTakeFirstOrThrow();
    const data = customerIncidentNoticeTemplate.read(await readMessageDataConfidential(deps, queued));
    expect(data.credentials).toEqual([
      { kind: 'api_token', name: 'Helpdesk sync', setAt: BEFORE_CUTOFF },
      { kind: 'oauth_client', name: 'Client reporting', setAt: BEFORE_CUTOFF },
      { kind: 'jwt_secret', name: null, setAt: BEFORE_CUTOFF },
      { kind: 'saml_configuration', name: null, setAt: BEFORE_CUTOFF },
    ]);
    const vendor = vendorIdentity(deps.config);
    const en = customerIncidentNoticeTemplate.render(data, 'en', vendor);
    expect(en.text).toContain('API token “Helpdesk sync”, created on');
    expect(en.text).toContain('OAuth client “Client reporting”, secret set on');
    expect(en.text).toContain('JWT single sign-on shared secret, set on');
    expect(en.html).toContain('SAML single sign-on configuration, set on');
    const fr = customerIncidentNoticeTemplate.render(data, 'fr', vendor);
    expect(fr.text).toContain('Jeton d’API « Helpdesk sync », créé le');
    const html = renderEvidenceHtml(await buildEvidence(deps, incidentId, 'acme'));
    expect(html).toContain('Revoke an API token');
    expect(html).toContain('Regenerate an OAuth client secret');
  });

  it('gives operators a selector field for each', async () => {
    const accountsMatching = async (selector: Selector) =>
      (await selectAccountsMatching(database.db, selector).execute()).map((row) => Number(row.id));
    for (const field of [
      'account.oldest_api_token_at',
      'account.oldest_oauth_secret_at',
      'account.jwt_secret_set_at',
      'account.saml_configured_at',
    ] as const) {
      expect(await accountsMatching({ field, op: 'before', value: SCOPE_CUTOFF }), field).toEqual([acme.id]);
      expect(await accountsMatching({ field, op: 'after', value: SCOPE_CUTOFF }), field).toEqual([]);
      expect(await accountsMatching({ not: { field, op: 'is_null', value: true } }), field).toEqual([acme.id]);
    }
  });

  it("refuses another account's admin who tries to act on acme's items", async () => {
    expect((await call(sellcoAdmin, 'DELETE', `/api/v2/api_tokens/${ids.oldToken}.json`)).statusCode).toBe(404);
    expect((await call(sellcoAdmin, 'PUT', `/api/v2/oauth/clients/${ids.confidential}/generate_secret.json`)).statusCode).toBe(404);
    expect(await actionItems()).toHaveLength(4);
  });

  it('takes each item off the list once acted on: revoked, regenerated, replaced', async () => {
    expect((await call(admin, 'DELETE', `/api/v2/api_tokens/${ids.oldToken}.json`)).statusCode).toBe(204);
    expect((await actionItems()).map((item) => item.kind)).toEqual([
      'regenerate_oauth_client_secret',
      'regenerate_jwt_shared_secret',
      'replace_saml_configuration',
    ]);

    const regenerated = await call(admin, 'PUT', `/api/v2/oauth/clients/${ids.confidential}/generate_secret.json`);
    expect(regenerated.statusCode).toBe(200);
    expect(regenerated.json()).toMatchObject({ client: { secret: expect.any(String), secret_set_at: deps.clock.now().toISOString() } });
    expect((await actionItems()).map((item) => item.kind)).toEqual(['regenerate_jwt_shared_secret', 'replace_saml_configuration']);

    // Saving the same certificate again changes nothing, so the item stays.
    await call(admin, 'PUT', '/api/v2/account/sso.json', { sso: { saml: { idp_certificate: idpKeys.certificate } } });
    expect(await actionItems()).toHaveLength(2);

    expect((await call(admin, 'PUT', '/api/v2/account/sso.json', { sso: { jwt: { shared_secret: 'k'.repeat(40) } } })).statusCode).toBe(
      200,
    );
    expect((await actionItems()).map((item) => item.kind)).toEqual(['replace_saml_configuration']);

    const replaced = await call(admin, 'PUT', '/api/v2/account/sso.json', { sso: { saml: { idp_certificate: newIdpKeys.certificate } } });
    expect(replaced.statusCode).toBe(200);
    expect(await actionItems()).toEqual([]);
  });
});
