import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type * as samlify from 'samlify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../../db/schema.js';
import type { FixedClock } from '../../../platform/clock.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { hostOf, insertUser, signIn as signInDirectly } from '../../../../test/support/identity-fixtures.js';
import {
  generateKeyPair,
  IDP_ENTITY_ID,
  IDP_SSO_URL,
  serviceProviderFromMetadata,
  sessionCookieOf,
  signedLoginResponse,
  testIdentityProvider,
  whoAmI,
  type KeyPair,
  type LoginResponseOptions,
} from '../../../../test/support/sso-fixtures.js';

// One key pair per run: RSA generation is the slow part.
const idpKeys: KeyPair = generateKeyPair('idp.test');
const impostorKeys: KeyPair = generateKeyPair('idp.test');

describe.each(backends)('SAML single sign-on on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let acme: Account;
  let sp: samlify.ServiceProviderInstance;
  const idp = testIdentityProvider(idpKeys);

  const responseFor = (options: Partial<LoginResponseOptions> & { email: string }, provider = idp, serviceProvider = sp) =>
    signedLoginResponse(provider, serviceProvider, { now: deps.clock.now(), ...options });

  const post = (account: Account, samlResponse: string, relayState?: string) =>
    app.inject({
      method: 'POST',
      url: '/access/saml',
      headers: { host: hostOf(account), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        SAMLResponse: samlResponse,
        ...(relayState === undefined ? {} : { RelayState: relayState }),
      }).toString(),
    });

  const expectRefused = (response: Awaited<ReturnType<typeof post>>, reason: string): void => {
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'InvalidSsoToken', details: { reason } });
    expect(response.headers['set-cookie']).toBeUndefined();
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    // SP URLs come from RIPOSTE_PUBLIC_URL: here the accounts' pages are http://{subdomain}.localhost.
    app = await buildTestApp(deps, { config: { ...deps.config, publicUrl: 'http://localhost' } });
    acme = await insertAccount(database.db, 'acme');
    const admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    const session = await signInDirectly(deps, acme, admin);
    const configured = await app.inject({
      method: 'PUT',
      url: '/api/v2/account/sso',
      headers: { host: hostOf(acme), cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      payload: {
        sso: { saml: { enabled: true, idp_sso_url: IDP_SSO_URL, idp_entity_id: IDP_ENTITY_ID, idp_certificate: idpKeys.certificate } },
      },
    });
    expect(configured.statusCode).toBe(200);
    // The identity provider learns about us from the metadata we publish.
    const metadata = await app.inject({ method: 'GET', url: '/access/saml/metadata', headers: { host: hostOf(acme) } });
    sp = serviceProviderFromMetadata(metadata.body);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('publishes SP metadata with its entity id and ACS URL at the host', async () => {
    const response = await app.inject({ method: 'GET', url: '/access/saml/metadata', headers: { host: hostOf(acme) } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/samlmetadata+xml');
    expect(response.body).toContain(`entityID="http://${hostOf(acme)}/access/saml/metadata"`);
    expect(response.body).toContain(`Location="http://${hostOf(acme)}/access/saml"`);
    expect(sp.entityMeta.getEntityID()).toBe(`http://${hostOf(acme)}/access/saml/metadata`);
  });

  it('signs in with a signed response from the identity provider: creates the user, starts a session, follows RelayState', async () => {
    const samlResponse = await responseFor({ email: 'Sam@Customer.test', attributes: { name: 'Sam Okafor', external_id: 'okta-sam' } });
    const response = await post(acme, samlResponse, '/hc/en-us');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/hc/en-us');
    const cookie = sessionCookieOf(response.headers['set-cookie']);
    expect(await whoAmI(app, acme, cookie ?? '')).toEqual({ status: 200, email: 'sam@customer.test', sso: true });
    const user = await database.db
      .selectFrom('users')
      .selectAll()
      .where('account_id', '=', acme.id)
      .where('email', '=', 'sam@customer.test')
      .executeTakeFirst();
    expect(user).toMatchObject({ name: 'Sam Okafor', external_id: 'okta-sam', role: 'end-user', sso: 1 });
  });

  it('accepts a response whose message, not its assertion, is signed', async () => {
    const metadata = await app.inject({ method: 'GET', url: '/access/saml/metadata', headers: { host: hostOf(acme) } });
    const messageSigned = serviceProviderFromMetadata(metadata.body, { signMessageOnly: true });
    const samlResponse = await responseFor({ email: 'message@customer.test' }, idp, messageSigned);
    expect(Buffer.from(samlResponse, 'base64').toString()).toMatch(/<\/saml:Issuer><ds:Signature[^]*<saml:Assertion(?![^]*<ds:Signature)/);
    const response = await post(acme, samlResponse, 'https://evil.test/');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/');
  });

  it('refuses a response altered after signing', async () => {
    const xml = Buffer.from(await responseFor({ email: 'victim@customer.test' }), 'base64').toString();
    expect(xml).toContain('victim@customer.test');
    const tampered = Buffer.from(xml.replaceAll('victim@customer.test', 'mallory@customer.test')).toString('base64');
    expectRefused(await post(acme, tampered), 'bad_signature');
  });

  it('refuses an unsigned response', async () => {
    const xml = Buffer.from(await responseFor({ email: 'unsigned@customer.test' }), 'base64').toString();
    const unsigned = xml.replace(/<ds:Signature[^]*?<\/ds:Signature>/g, '');
    expect(unsigned).not.toContain('Signature');
    expectRefused(await post(acme, Buffer.from(unsigned).toString('base64')), 'bad_signature');
  });

  it('refuses a response signed with a certificate other than the configured one', async () => {
    const impostor = testIdentityProvider(impostorKeys);
    expectRefused(await post(acme, await responseFor({ email: 'imp@customer.test' }, impostor)), 'bad_signature');
  });

  it('refuses a response meant for another service provider', async () => {
    const response = await responseFor({ email: 'aud@customer.test', audience: 'http://globex.localhost/access/saml/metadata' });
    expectRefused(await post(acme, response), 'wrong_audience');
  });

  it('refuses a response addressed to another ACS URL', async () => {
    const response = await responseFor({ email: 'rcpt@customer.test', recipient: 'http://globex.localhost/access/saml' });
    expectRefused(await post(acme, response), 'wrong_recipient');
  });

  it('refuses an expired response, and accepts one within the clock skew', async () => {
    const now = deps.clock.now().getTime();
    const expired = await responseFor({ email: 'old@customer.test', now: new Date(now - 10 * 60_000), lifetimeMs: 5 * 60_000 });
    expectRefused(await post(acme, expired), 'expired');
    const justIssuedAhead = await responseFor({ email: 'ahead@customer.test', now: new Date(now + 30_000) });
    expect((await post(acme, justIssuedAhead)).statusCode).toBe(302);
  });

  it('refuses a replayed assertion', async () => {
    const samlResponse = await responseFor({ email: 'twice@customer.test' });
    expect((await post(acme, samlResponse)).statusCode).toBe(302);
    expectRefused(await post(acme, samlResponse), 'replayed');
    const replays = await database.db.selectFrom('sso_replays').selectAll().where('account_id', '=', acme.id).execute();
    expect(replays.every((row) => row.assertion_id.startsWith('saml:') && row.expires_at > deps.clock.now().toISOString())).toBe(true);
  });

  it('refuses garbage and a response without an email', async () => {
    expectRefused(await post(acme, Buffer.from('<nope/>').toString('base64')), 'malformed');
    expectRefused(await post(acme, 'not base64 at all'), 'malformed');
    const noEmail = await responseFor({ email: 'not-an-email' });
    expectRefused(await post(acme, noEmail), 'invalid_claim');
  });

  it('starts an SP-initiated sign-in with an AuthnRequest on the redirect binding, and accepts the answer to it', async () => {
    const start = await app.inject({ method: 'GET', url: '/access/sso?return_to=%2Fagent', headers: { host: hostOf(acme) } });
    expect(start.statusCode).toBe(302);
    const location = new URL(start.headers.location ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(IDP_SSO_URL);
    expect(location.searchParams.get('RelayState')).toBe('/agent');
    const request = zlib.inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') ?? '', 'base64')).toString();
    expect(request).toContain(`AssertionConsumerServiceURL="http://${hostOf(acme)}/access/saml"`);
    expect(request).toContain(`>http://${hostOf(acme)}/access/saml/metadata</saml:Issuer>`);
    const requestId = /ID="([^"]+)"/.exec(request)?.[1];

    const answer = await responseFor({ email: 'spinit@customer.test', inResponseTo: requestId ?? '' });
    const response = await post(acme, answer, location.searchParams.get('RelayState') ?? undefined);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/agent');
  });

  it('answers 403 at an account without SAML, and refuses a response made for Acme there', async () => {
    const globex = await insertAccount(database.db, 'globex');
    const response = await post(globex, await responseFor({ email: 'g@customer.test' }));
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: 'SsoNotEnabled' });
    expect((await app.inject({ method: 'GET', url: '/access/sso', headers: { host: hostOf(globex) } })).statusCode).toBe(403);
  });
});
