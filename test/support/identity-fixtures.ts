import crypto from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Db } from '../../src/db/database.js';
import type { Account, PasswordCredentialsTable, User } from '../../src/db/schema.js';
import { reserveIds } from '../../src/db/sequences.js';
import { linkAccountOwners } from '../../src/modules/accounts/account-owner.repo.js';
import type { OauthClientView } from '../../src/modules/auth/oauth/oauth.schema.js';
import { s256 } from '../../src/modules/auth/oauth/pkce.js';
import { startSession } from '../../src/modules/auth/sessions/sessions.service.js';
import type { FixedClock } from '../../src/platform/clock.js';
import { productsToMask } from '../../src/platform/products.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import { buildTestApp, testDeps } from './app.js';
import { openTestDatabase, type Backend, type TestDatabase } from './databases.js';
import { insertAccount } from './fixtures.js';

/**
 * Inserts a user directly (core realm, active, Support and Chat), for tests
 * that need one to exist; one with the owner email becomes the account's owner. The email is stored lower-cased, as the users
 * module stores it.
 */
export async function insertUser(db: Db, account: Account, email: string, overrides: Partial<User> = {}): Promise<User> {
  const id = await reserveIds(db, 'users', 1);
  const now = '2020-01-01T00:00:00.000Z';
  const user: User = {
    account_id: account.id,
    id,
    realm: 'core',
    role: 'agent',
    name: email.split('@')[0] ?? email,
    email: email.toLowerCase(),
    phone: null,
    locale: null,
    active: 1,
    sso: 0,
    products_mask: productsToMask(['support', 'chat']),
    created_at: now,
    updated_at: now,
    last_login_at: null,
    external_id: null,
    ...overrides,
  };
  await db.insertInto('users').values(user).execute();
  // As every path that creates users does: the user with the owner email becomes the account's owner.
  await linkAccountOwners(db, [account.id]);
  return user;
}

/** The argon2id hash the fixtures store where a test never verifies the password. */
export const PLACEHOLDER_PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

/**
 * Gives a user a password credential, last changed in 2015 and with no change
 * pending unless `overrides` say otherwise. The hash is a placeholder unless
 * `overrides` give one.
 */
export async function insertPasswordCredential(db: Db, user: User, overrides: Partial<PasswordCredentialsTable> = {}): Promise<User> {
  await db
    .insertInto('password_credentials')
    .values({
      account_id: user.account_id,
      user_id: user.id,
      password_hash: PLACEHOLDER_PASSWORD_HASH,
      password_changed_at: '2015-01-01T00:00:00.000Z',
      must_change: 0,
      must_change_reason: null,
      must_change_incident_id: null,
      ...overrides,
    })
    .execute();
  return user;
}

/**
 * Gives a user a password credential whose change is pending (`must_change`),
 * as a rotation campaign leaves it.
 */
export async function insertPendingPasswordChange(db: Db, user: User): Promise<void> {
  await insertPasswordCredential(db, user, { must_change: 1, must_change_reason: 'incident' });
}

/** `Authorization: Basic` for `email/token:TOKEN`. */
export const apiTokenAuthorization = (email: string, token: string): string =>
  `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;

/** The host of an account in tests (base domain `localhost`). */
export const hostOf = (account: Account): string => `${account.subdomain}.localhost`;

export interface TestSession {
  cookie: string;
  csrfToken: string;
  /** Host, session cookie and CSRF header: what a signed-in browser sends on a write. */
  headers: { host: string; cookie: string; 'x-csrf-token': string };
}

/** Signs a user in through the sessions module's service, as the web console would. */
export async function signIn(deps: ServiceDeps, account: Account, user: User): Promise<TestSession> {
  const started = await startSession(deps, { account, user, ip: '127.0.0.1', userAgent: 'vitest', method: 'password' });
  const cookie = `riposte_session=${started.token}`;
  return { cookie, csrfToken: started.csrfToken, headers: { host: hostOf(account), cookie, 'x-csrf-token': started.csrfToken } };
}

/** A fresh PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}

/** `application/x-www-form-urlencoded`; an array repeats its field. */
export function formBody(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) params.append(name, one);
  return params.toString();
}

const unescapeHtml = (text: string): string =>
  text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** The hidden fields of the consent form, as a browser would send them back. */
export const hiddenFormFields = (html: string): Record<string, string> =>
  Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [
      unescapeHtml(m[1] ?? ''),
      unescapeHtml(m[2] ?? ''),
    ]),
  );

/** RFC 6749's token response. */
export interface TokenGrant {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  scope: string;
}

export const OAUTH_REDIRECTS = {
  /** A native app's private-use scheme (registered on the public client). */
  app: 'com.example.app:/oauth',
  /** A web redirect with a query of its own (registered on the public client). */
  web: 'https://app.example/callback?tenant=7',
  /** The confidential client's. */
  server: 'https://server.example/oauth/callback',
} as const;

/**
 * The authorization-code grant over the real app: account `acme` with Ana
 * (agent, whose password change is pending) and Bob (French), a public client
 * `mobile` and a confidential client `server`; account `globex` beside it.
 */
export interface OauthFlow {
  database: TestDatabase;
  deps: ServiceDeps & { clock: FixedClock };
  app: FastifyInstance;
  acme: Account;
  globex: Account;
  ana: User;
  bob: User;
  publicClient: OauthClientView;
  serverClient: OauthClientView;
  serverSecret: string;
  /** The parameters of an authorization request from the public client. */
  publicRequest: (challenge: string, overrides?: Record<string, string>) => Record<string, string>;
  /** `GET /oauth/authorizations/new` with the session's cookie (none when null). */
  consentPage: (session: TestSession | null, params: Record<string, string>, host?: string) => Promise<LightMyRequestResponse>;
  /** `POST /oauth/authorizations` as the consent form posts it (cookie, no CSRF header). */
  decide: (session: TestSession, fields: Record<string, string | string[]>) => Promise<LightMyRequestResponse>;
  /** The user signs in and allows the request; returns the code the client receives. */
  authorize: (request: Record<string, string>, user?: User) => Promise<string>;
  tokenRequest: (
    fields: Record<string, string | string[]>,
    headers?: Record<string, string>,
    host?: string,
  ) => Promise<LightMyRequestResponse>;
  /** Redeems a public-client code; throws unless it succeeds. */
  exchange: (code: string, verifier: string) => Promise<TokenGrant>;
  refresh: (refreshToken: string, extra?: Record<string, string>, host?: string) => Promise<LightMyRequestResponse>;
  /** A token pair for Ana through the whole public-client flow. */
  tokensForAna: (scope?: string) => Promise<TokenGrant>;
  /** `GET /api/v2/oauth/tokens/current.json` with the access token. */
  whoAmI: (accessToken: string, host?: string) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}

export async function openOauthFlow(backend: Backend): Promise<OauthFlow> {
  const database = await openTestDatabase(backend);
  const acme = await insertAccount(database.db, 'acme', { name: 'Acme & Co' });
  const globex = await insertAccount(database.db, 'globex');
  const ana = await insertUser(database.db, acme, 'ana@acme.test', { name: 'Ana' });
  await insertPendingPasswordChange(database.db, ana);
  const bob = await insertUser(database.db, acme, 'bob@acme.test', { name: 'Bob', locale: 'fr' });
  const admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
  const deps = testDeps(database);
  const app = await buildTestApp(deps);

  const expectStatus = (response: LightMyRequestResponse, status: number): LightMyRequestResponse => {
    if (response.statusCode !== status) throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
    return response;
  };
  const createClient = async (client: Record<string, unknown>): Promise<OauthClientView> => {
    const session = await signIn(deps, acme, admin);
    const response = await app.inject({ method: 'POST', url: '/api/v2/oauth/clients.json', headers: session.headers, payload: { client } });
    return expectStatus(response, 201).json<{ client: OauthClientView }>().client;
  };
  const publicClient = await createClient({
    name: 'Mobile <App>',
    identifier: 'mobile',
    kind: 'public',
    redirect_uri: [OAUTH_REDIRECTS.app, OAUTH_REDIRECTS.web],
  });
  const serverClient = await createClient({
    name: 'Server',
    identifier: 'server',
    kind: 'confidential',
    redirect_uri: [OAUTH_REDIRECTS.server],
  });

  const flow: OauthFlow = {
    database,
    deps,
    app,
    acme,
    globex,
    ana,
    bob,
    publicClient,
    serverClient,
    serverSecret: serverClient.secret ?? '',
    publicRequest: (challenge, overrides = {}) => ({
      response_type: 'code',
      client_id: publicClient.identifier,
      redirect_uri: OAUTH_REDIRECTS.app,
      scope: 'read write',
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    }),
    consentPage: (session, params, host = hostOf(acme)) =>
      app.inject({
        url: `/oauth/authorizations/new?${formBody(params)}`,
        headers: session === null ? { host } : { host, cookie: session.cookie },
      }),
    decide: (session, fields) =>
      app.inject({
        method: 'POST',
        url: '/oauth/authorizations',
        headers: { host: hostOf(acme), cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: formBody(fields),
      }),
    authorize: async (request, user = ana) => {
      const session = await signIn(deps, acme, user);
      const decided = expectStatus(await flow.decide(session, { ...request, csrf_token: session.csrfToken, decision: 'allow' }), 302);
      const params = new URL(String(decided.headers.location)).searchParams;
      if (params.get('state') !== (request.state ?? null)) throw new Error('the state did not come back');
      return params.get('code') ?? '';
    },
    tokenRequest: (fields, headers = {}, host = hostOf(acme)) =>
      app.inject({
        method: 'POST',
        url: '/oauth/tokens',
        headers: { host, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: formBody(fields),
      }),
    exchange: async (code, verifier) => {
      const fields = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: OAUTH_REDIRECTS.app,
        client_id: publicClient.identifier,
        code_verifier: verifier,
      };
      return expectStatus(await flow.tokenRequest(fields), 200).json<TokenGrant>();
    },
    refresh: (refreshToken, extra = {}, host = hostOf(acme)) =>
      flow.tokenRequest(
        { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: publicClient.identifier, ...extra },
        {},
        host,
      ),
    tokensForAna: async (scope = 'read write') => {
      const { verifier, challenge } = pkcePair();
      return flow.exchange(await flow.authorize(flow.publicRequest(challenge, { scope })), verifier);
    },
    whoAmI: (accessToken, host = hostOf(acme)) =>
      app.inject({ url: '/api/v2/oauth/tokens/current.json', headers: { host, authorization: `Bearer ${accessToken}` } }),
    close: async () => {
      await app.close();
      await database.dispose();
    },
  };
  return flow;
}
