/**
 * The world the hostile sweep attacks: the real application over a test
 * database, tenant A (acme) whose host every attack targets, tenant B
 * (globex) whose data carries a canary and whose secrets must never show, an
 * operator, and credentials gone stale (revoked, expired, signed out).
 */
import crypto from 'node:crypto';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { sql } from 'kysely';
import type { Account, User } from '../../src/db/schema.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { buildTestApp, testDeps } from './app.js';
import { openTestDatabase, type Backend, type TestDatabase } from './databases.js';
import { insertAccount } from './fixtures.js';
import { hostOf, insertPasswordCredential, insertUser, signIn, type TestSession } from './identity-fixtures.js';
import { shapesOf, type RouteShape } from './hostile-routes.js';
import type { CreatedStaffUser } from '../../src/modules/staff/staff.service.js';
import { createTestStaff, staffSignIn, type StaffSession } from './staff-fixtures.js';

/** In tenant B's names, emails, external ids and settings: no answer about tenant A may contain it. */
export const CANARY = 'CANARY7Q';
export const OPERATOR_HOST = 'localhost';

type Deps = ReturnType<typeof testDeps>;

export interface Tenant {
  account: Account;
  host: string;
  admin: User;
  /** The user wrong passwords and tokens are tried on (so the admin is never locked out). */
  victim: User;
  session: TestSession;
  apiToken: string;
  bearer: string;
  /** Which record stands in for a path parameter, by parameter name or the segment before `:id`. */
  records: Record<string, string>;
}

export interface HostileWorld {
  database: TestDatabase;
  deps: Deps;
  app: FastifyInstance;
  routes: RouteShape[];
  acme: Tenant;
  globex: Tenant;
  operator: StaffSession;
  stale: { apiToken: string; bearer: string; session: TestSession; staffCookie: string };
  /** Plaintext secrets and stored secret columns: no answer may carry one the request did not. */
  secrets: Set<string>;
  /** Mints acme's API token or the operator's session again if an attack (a sign-out, say) ended it. */
  ensureSignedIn(realm: 'customer' | 'operator'): Promise<boolean>;
  close(): Promise<void>;
}

async function created(
  app: FastifyInstance,
  session: TestSession,
  url: string,
  payload: object,
): Promise<Record<string, Record<string, unknown>>> {
  const response = await app.inject({ method: 'POST', url, headers: session.headers, payload });
  if (response.statusCode >= 300) throw new Error(`setting up ${url}: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** What a tenant's admin sets up over the API: tokens, an OAuth client and token, an installation secret, a JWT SSO secret. */
async function setUpOverApi(app: FastifyInstance, session: TestSession, admin: User, marker: string) {
  const token = async (description: string): Promise<{ token: string; id: string }> => {
    const body = (await created(app, session, '/api/v2/api_tokens', { api_token: { description } })).api_token;
    return { token: String(body?.token), id: String(body?.id) };
  };
  const apiToken = await token(marker);
  const spareToken = await token(`spare ${marker}`);
  const client = (
    await created(app, session, '/api/v2/oauth/clients', {
      client: { name: marker, identifier: `client-${marker.toLowerCase()}`, redirect_uri: ['https://app.test/cb'], kind: 'confidential' },
    })
  ).client;
  const oauth = (
    await created(app, session, '/api/v2/oauth/tokens', { token: { client_id: client?.id, user_id: admin.id, scopes: ['read', 'write'] } })
  ).token;
  const installationSecret = `xoxb-${marker}-secret`;
  const settings = { channel: `#${marker}`, api_token: installationSecret };
  const installation = (await created(app, session, '/api/v2/apps/installations', { app_id: 1001, settings })).installation;
  await created(app, session, '/api/v2/staff_access/grants', { grant: { duration: 'indefinite' } });
  const jwtSecret = `${marker}-jwt-${crypto.randomBytes(24).toString('hex')}`;
  const sso = await app.inject({
    method: 'PUT',
    url: '/api/v2/account/sso',
    headers: session.headers,
    payload: {
      sso: { jwt: { enabled: true, shared_secret: jwtSecret, remote_login_url: `https://idp.${marker.toLowerCase()}.test/login` } },
    },
  });
  if (sso.statusCode !== 200) throw new Error(`setting up SSO: ${sso.statusCode} ${sso.body}`);
  return {
    apiToken: apiToken.token,
    bearer: String(oauth?.token),
    secrets: [apiToken.token, spareToken.token, oauth?.token, oauth?.refresh_token, client?.secret, installationSecret, jwtSecret].map(
      String,
    ),
    records: { api_tokens: spareToken.id, clients: String(client?.id), tokens: String(oauth?.id), installations: String(installation?.id) },
  };
}

/** A tenant: an admin, a victim with a password, an agent whose records attacks address, and what `setUpOverApi` makes. */
async function makeTenant(
  world: { deps: Deps; app: FastifyInstance; secrets: Set<string> },
  subdomain: string,
  marker: string,
): Promise<Tenant> {
  const { deps, app, secrets } = world;
  const account = await insertAccount(deps.db, subdomain);
  const person = (role: 'admin' | 'agent', who: string): Promise<User> =>
    insertUser(deps.db, account, `${who}-${marker.toLowerCase()}@${subdomain}.test`, {
      role,
      name: `${who} ${marker}`,
      external_id: `ext-${marker}-${who}`,
    });
  const admin = await person('admin', 'admin');
  const victim = await person('agent', 'victim');
  const agent = await person('agent', 'agent');
  const uniqueHash = `$argon2id$v=19$m=19456,t=2,p=1$${crypto.randomBytes(16).toString('base64url')}$${crypto.randomBytes(32).toString('base64url')}`;
  await insertPasswordCredential(deps.db, victim, { password_hash: uniqueHash });
  const session = await signIn(deps, account, admin);
  const spareSession = await signIn(deps, account, agent);
  const made = await setUpOverApi(app, session, admin, marker);
  for (const secret of [...made.secrets, uniqueHash, session.cookie.split('=')[1], spareSession.cookie.split('=')[1]])
    secrets.add(String(secret));
  const spareSessionRow = await deps.db.selectFrom('sessions').select('id').where('user_id', '=', agent.id).executeTakeFirstOrThrow();
  return {
    account,
    host: hostOf(account),
    admin,
    victim,
    session,
    apiToken: made.apiToken,
    bearer: made.bearer,
    records: { ...made.records, users: String(agent.id), sessions: String(spareSessionRow.id), subdomain, locale: 'en' },
  };
}

/** Every stored hash, sealed value and wrapped key, wherever the schema keeps one (the audit chain's hashes are public). */
async function storedSecrets(database: TestDatabase): Promise<string[]> {
  const tables = await database.db.introspection.getTables();
  const secretColumn = /(^|_)(hash|sealed|wrapped_key|secret)$/;
  const found: string[] = [];
  for (const table of tables.filter((candidate) => !candidate.name.startsWith('audit_'))) {
    for (const column of table.columns.filter((candidate) => secretColumn.test(candidate.name))) {
      const { rows } = await sql<Record<string, unknown>>`select ${sql.ref(column.name)} as value from ${sql.table(table.name)}`.execute(
        database.db,
      );
      for (const row of rows) if (typeof row.value === 'string' && row.value.length >= 16) found.push(row.value);
    }
  }
  return found;
}

/** Credentials that once worked: a revoked API token, an expired OAuth token, a signed-out session and staff session. */
async function staleCredentials(deps: Deps, app: FastifyInstance, acme: Tenant): Promise<HostileWorld['stale']> {
  const revoked = (await created(app, acme.session, '/api/v2/api_tokens', { api_token: { description: 'revoked' } })).api_token;
  await app.inject({ method: 'DELETE', url: `/api/v2/api_tokens/${String(revoked?.id)}`, headers: acme.session.headers });
  const expired = (
    await created(app, acme.session, '/api/v2/oauth/tokens', {
      token: { client_id: Number(acme.records.clients), user_id: acme.admin.id, scopes: ['read'] },
    })
  ).token;
  await deps.db.updateTable('oauth_tokens').set({ expires_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', Number(expired?.id)).execute();
  const signedOut = await signIn(deps, acme.account, acme.admin);
  await app.inject({ method: 'POST', url: '/access/sign_out', headers: signedOut.headers });
  const leaver = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'leaver@vendor.test', 'operator'));
  await app.inject({ method: 'DELETE', url: '/ops/v1/session', headers: { host: OPERATOR_HOST, ...leaver.headers } });
  return { apiToken: String(revoked?.token), bearer: String(expired?.token), session: signedOut, staffCookie: leaver.cookie };
}

const statusOf = async (app: FastifyInstance, headers: Record<string, string>, url = '/api/v2/users/me'): Promise<number> =>
  (await app.inject({ url, headers })).statusCode;

/** Signs the operator in again when an attack (a sign-out) ended the session; true when it had to. */
async function keepOperatorSignedIn(world: HostileWorld, staff: CreatedStaffUser): Promise<boolean> {
  if ((await statusOf(world.app, { host: OPERATOR_HOST, cookie: world.operator.cookie }, '/ops/v1/session')) === 200) return false;
  world.operator = await staffSignIn(world.app, world.deps.clock, staff);
  return true;
}

/** Gives acme's admin a live session and API token again when an attack ended them; true when it had to. */
async function keepAcmeSignedIn(world: HostileWorld): Promise<boolean> {
  const { app, acme } = world;
  const byToken = (): Promise<number> => statusOf(app, { host: acme.host, authorization: ownAuthorization(world) });
  const sessionLives = (await statusOf(app, { host: acme.host, cookie: acme.session.cookie })) === 200;
  if (sessionLives && (await byToken()) === 200) return false;
  acme.session = await signIn(world.deps, acme.account, acme.admin);
  const minted = await created(app, acme.session, '/api/v2/api_tokens', { api_token: { description: 'again' } });
  acme.apiToken = String(minted.api_token?.token);
  const status = await byToken();
  if (status !== 200) throw new Error(`acme's admin cannot sign in again (${status}): an attack locked the sweep's own caller out`);
  return true;
}

/** A published advisory whose title and body carry script, so the public pages that render it are put to the test. */
async function publishHostileAdvisory(world: HostileWorld): Promise<string> {
  const headers = { host: OPERATOR_HOST, ...world.operator.headers };
  const markup = '<script>alert(1)</script>"><img src=x onerror=alert(1)>';
  const draft = await world.app.inject({
    method: 'POST',
    url: '/ops/v1/advisories',
    headers,
    payload: { title: `Breach ${markup}`, body: `# What ${markup}\n\n[click](javascript:alert(1)) ${markup}` },
  });
  const id = String(draft.json<{ advisory: { id: number } }>().advisory.id);
  const published = await world.app.inject({ method: 'POST', url: `/ops/v1/advisories/${id}/publish`, headers, payload: {} });
  if (published.statusCode >= 300) throw new Error(`publishing the advisory: ${published.statusCode} ${published.body}`);
  return id;
}

/** Builds the world on `backend`; `close` disposes of it. */
export async function openHostileWorld(backend: Backend): Promise<HostileWorld> {
  const database = await openTestDatabase(backend);
  const deps = testDeps(database);
  const routes: RouteShape[] = [];
  const app = await buildTestApp(deps, { observeRoutes: (route: RouteOptions) => routes.push(...shapesOf(route)) });
  const secrets = new Set<string>();
  const acme = await makeTenant({ deps, app, secrets }, 'acme', 'ACME');
  const globex = await makeTenant({ deps, app, secrets }, 'globex', CANARY);
  const incident = await declareIncident(deps, { title: 'Sweep', becameAwareAt: '2026-05-30T09:00:00Z', actor: { type: 'cli' } });
  await addExposure(deps, { incidentId: incident.id, category: 'contact_pii', accountIds: [acme.account.id], actor: { type: 'cli' } });
  acme.records.incidents = String(incident.id);
  const staff = await createTestStaff(deps, 'olga@vendor.test', 'operator');
  secrets.add(staff.password).add(staff.totpSecret);
  const world: HostileWorld = {
    database,
    deps,
    app,
    routes,
    acme,
    globex,
    operator: await staffSignIn(app, deps.clock, staff),
    stale: await staleCredentials(deps, app, acme),
    secrets,
    ensureSignedIn: (realm) => (realm === 'operator' ? keepOperatorSignedIn(world, staff) : keepAcmeSignedIn(world)),
    close: async () => {
      await app.close();
      await database.dispose();
    },
  };
  acme.records.advisories = acme.records.articles = await publishHostileAdvisory(world);
  for (const secret of [world.operator.cookie.split('=')[1], ...(await storedSecrets(database))]) secrets.add(String(secret));
  return world;
}

/** `Authorization: Basic` with acme's admin API token: how a tenant's own integration calls. */
export const ownAuthorization = (world: HostileWorld): string =>
  `Basic ${Buffer.from(`${world.acme.admin.email}/token:${world.acme.apiToken}`).toString('base64')}`;
