import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/support/databases.js';
import {
  apiTokenAuthorization,
  formBody as form,
  hiddenFormFields as hiddenFields,
  hostOf,
  insertUser,
  OAUTH_REDIRECTS,
  openOauthFlow,
  pkcePair as pkce,
  signIn,
  type OauthFlow,
  type TokenGrant as TokenResponse,
} from '../../../../test/support/identity-fixtures.js';

const { app: PUBLIC_REDIRECT, web: WEB_REDIRECT, server: SERVER_REDIRECT } = OAUTH_REDIRECTS;

const redirectParams = (response: LightMyRequestResponse): URLSearchParams => {
  expect(response.statusCode, response.body).toBe(302);
  return new URL(String(response.headers.location)).searchParams;
};

const expectOauthError = (response: LightMyRequestResponse, status: number, error: string): void => {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json()).toEqual({ error, error_description: expect.any(String) });
  expect(response.headers['cache-control']).toBe('no-store');
};

describe.each(backends)('OAuth authorization-code grant on %s', (backend) => {
  let flow: OauthFlow;
  beforeAll(async () => {
    flow = await openOauthFlow(backend);
  });
  afterAll(async () => {
    await flow.close();
  });

  it('runs the whole flow: consent page, allow, code, tokens, API call', async () => {
    const { deps, database, acme, ana, publicClient, consentPage, decide, publicRequest, exchange, whoAmI } = flow;
    const session = await signIn(deps, acme, ana);
    const { verifier, challenge } = pkce();
    const state = `s&t"a<t>e'${crypto.randomUUID()}`;
    const page = await consentPage(session, publicRequest(challenge, { state }));
    expect(page.statusCode, page.body).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toContain("form-action 'self' com.example.app:");
    expect(page.body).toContain('Mobile &lt;App&gt;');
    expect(page.body).toContain('Acme &amp; Co');
    const fields = hiddenFields(page.body);
    expect(fields).toMatchObject({
      client_id: 'mobile',
      redirect_uri: PUBLIC_REDIRECT,
      state,
      code_challenge: challenge,
      csrf_token: session.csrfToken,
    });

    // The browser posts the form back as is: no X-CSRF-Token header, the token travels as a field.
    const decided = await decide(session, { ...fields, decision: 'allow' });
    const params = redirectParams(decided);
    expect(String(decided.headers.location).startsWith(`${PUBLIC_REDIRECT}?`)).toBe(true);
    expect(params.get('state')).toBe(state);
    const code = params.get('code') ?? '';
    expect(code.length).toBeGreaterThanOrEqual(43);

    const tokens = await exchange(code, verifier);
    expect(tokens).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 7200,
      refresh_token: expect.any(String),
      refresh_token_expires_in: 30 * 24 * 60 * 60,
      scope: 'read write',
    });
    const me = await whoAmI(tokens.access_token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ token: { user_id: ana.id, client_id: publicClient.id, scopes: ['read', 'write'] } });

    const audit = await database.db.selectFrom('audit_events').select('action').where('account_id', '=', acme.id).execute();
    expect(audit.map((event) => event.action)).toEqual(expect.arrayContaining(['oauth_authorization.granted', 'oauth_token.created']));
    const codes = await database.db.selectFrom('oauth_codes').selectAll().execute();
    expect(JSON.stringify(codes)).not.toContain(code);
  });

  it('keeps the query of the redirect URI, and speaks French to French users', async () => {
    const { deps, acme, bob, consentPage, decide, publicRequest } = flow;
    const session = await signIn(deps, acme, bob);
    const { challenge } = pkce();
    const page = await consentPage(session, publicRequest(challenge, { redirect_uri: WEB_REDIRECT }));
    expect(page.body).toContain('lang="fr"');
    const decided = await decide(session, { ...hiddenFields(page.body), decision: 'allow' });
    expect(String(decided.headers.location)).toMatch(/^https:\/\/app\.example\/callback\?tenant=7&code=[^&]+&state=xyz$/);
  });

  it('needs a signed-in web session', async () => {
    const { app, deps, database, acme, consentPage, publicRequest } = flow;
    const { challenge } = pkce();
    const anonymous = await consentPage(null, publicRequest(challenge));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: 'Unauthorized' });

    const admin = await signIn(deps, acme, await insertUser(database.db, acme, 'token-admin@acme.test', { role: 'admin' }));
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: admin.headers,
      payload: { api_token: { description: 'x' } },
    });
    const apiToken = created.json<{ api_token: { token: string } }>().api_token.token;
    const viaToken = await app.inject({
      url: `/oauth/authorizations/new?${form(publicRequest(challenge))}`,
      headers: { host: hostOf(acme), authorization: apiTokenAuthorization('token-admin@acme.test', apiToken) },
    });
    expect(viaToken.statusCode).toBe(401);

    const post = await app.inject({
      method: 'POST',
      url: '/oauth/authorizations',
      headers: { host: hostOf(acme), 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ ...publicRequest(challenge), csrf_token: 'x', decision: 'allow' }),
    });
    expect(post.statusCode).toBe(401);
    expect(post.headers.location).toBeUndefined();
  });

  it('refuses, without redirecting, an unknown client or a redirect URI not registered exactly', async () => {
    const { deps, database, acme, globex, ana, serverClient, consentPage, publicRequest } = flow;
    const session = await signIn(deps, acme, ana);
    const { challenge } = pkce();
    for (const [overrides, error] of [
      [{ client_id: 'nobody' }, 'InvalidClient'],
      [{ client_id: serverClient.identifier }, 'InvalidRedirectUri'],
      [{ redirect_uri: 'https://evil.example/cb' }, 'InvalidRedirectUri'],
      [{ redirect_uri: `${PUBLIC_REDIRECT}/` }, 'InvalidRedirectUri'],
      [{ redirect_uri: 'https://app.example/callback' }, 'InvalidRedirectUri'],
    ] as const) {
      const response = await consentPage(session, publicRequest(challenge, overrides));
      expect(response.statusCode, JSON.stringify(overrides)).toBe(400);
      expect(response.headers.location).toBeUndefined();
      expect(response.json()).toMatchObject({ error });
    }
    const globexSession = await signIn(deps, globex, await insertUser(database.db, globex, 'ana@globex.test'));
    const elsewhere = await consentPage(globexSession, publicRequest(challenge), hostOf(globex));
    expect(elsewhere.json()).toMatchObject({ error: 'InvalidClient' });
  });

  it('sends other problems back to the client with the state', async () => {
    const { deps, acme, ana, consentPage, publicRequest } = flow;
    const session = await signIn(deps, acme, ana);
    const { challenge } = pkce();
    for (const [overrides, error] of [
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge_method: '' }, 'invalid_request'],
      [{ code_challenge: 'short' }, 'invalid_request'],
      [{ scope: 'admin' }, 'invalid_scope'],
      [{ scope: '' }, 'invalid_scope'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
    ] as const) {
      const params = redirectParams(await consentPage(session, publicRequest(challenge, overrides)));
      expect(params.get('error'), JSON.stringify(overrides)).toBe(error);
      expect(params.get('state')).toBe('xyz');
      expect(params.get('code')).toBeNull();
    }
    const withoutPkce = Object.fromEntries(Object.entries(publicRequest(challenge)).filter(([name]) => !name.startsWith('code_challenge')));
    expect(redirectParams(await consentPage(session, withoutPkce)).get('error')).toBe('invalid_request');
    // Confidential clients may go without PKCE.
    const server = await consentPage(session, { response_type: 'code', client_id: 'server', redirect_uri: SERVER_REDIRECT, scope: 'read' });
    expect(server.statusCode).toBe(200);
  });

  it('answers a denial with access_denied and issues nothing', async () => {
    const { deps, database, acme, ana, decide, publicRequest } = flow;
    const session = await signIn(deps, acme, ana);
    const before = (await database.db.selectFrom('oauth_codes').select('code_hash').execute()).length;
    const { challenge } = pkce();
    const params = redirectParams(await decide(session, { ...publicRequest(challenge), csrf_token: session.csrfToken, decision: 'deny' }));
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('xyz');
    expect(params.get('code')).toBeNull();
    expect(await database.db.selectFrom('oauth_codes').select('code_hash').execute()).toHaveLength(before);
  });

  it('refuses a decision without the session’s CSRF token', async () => {
    const { app, deps, acme, ana, bob, decide, publicRequest } = flow;
    const session = await signIn(deps, acme, ana);
    const other = await signIn(deps, acme, bob);
    const { challenge } = pkce();
    for (const csrf of ['forged', other.csrfToken, '']) {
      const response = await decide(session, { ...publicRequest(challenge), csrf_token: csrf, decision: 'allow' });
      expect(response.statusCode, csrf).toBe(403);
      expect(response.headers.location).toBeUndefined();
    }
    expect((await decide(session, { ...publicRequest(challenge), decision: 'allow' })).statusCode).toBe(400);
    const json = await app.inject({
      method: 'POST',
      url: '/oauth/authorizations',
      headers: { host: hostOf(acme), cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      payload: { ...publicRequest(challenge), csrf_token: session.csrfToken, decision: 'allow' },
    });
    expect(redirectParams(json).get('code')).toEqual(expect.any(String));
  });

  it('refuses a wrong or missing PKCE verifier, then accepts the right one', async () => {
    const { publicRequest, authorize, tokenRequest } = flow;
    const { verifier, challenge } = pkce();
    const code = await authorize(publicRequest(challenge));
    const base = { grant_type: 'authorization_code', code, redirect_uri: PUBLIC_REDIRECT, client_id: 'mobile' };
    expectOauthError(await tokenRequest({ ...base, code_verifier: pkce().verifier }), 400, 'invalid_grant');
    expectOauthError(await tokenRequest(base), 400, 'invalid_grant');
    expectOauthError(await tokenRequest({ ...base, code_verifier: challenge }), 400, 'invalid_grant');
    expect((await tokenRequest({ ...base, code_verifier: verifier })).statusCode).toBe(200);
  });

  it('refuses a replayed code and revokes the tokens it yielded', async () => {
    const { database, publicRequest, authorize, tokenRequest, exchange, refresh, whoAmI } = flow;
    const { verifier, challenge } = pkce();
    const code = await authorize(publicRequest(challenge));
    const first = await exchange(code, verifier);
    expect((await whoAmI(first.access_token)).statusCode).toBe(200);
    const replay = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: PUBLIC_REDIRECT,
      client_id: 'mobile',
      code_verifier: verifier,
    });
    expectOauthError(replay, 400, 'invalid_grant');
    expect((await whoAmI(first.access_token)).statusCode).toBe(401);
    expectOauthError(await refresh(first.refresh_token), 400, 'invalid_grant');
    const audit = await database.db.selectFrom('audit_events').select('action').where('action', '=', 'oauth_code.replayed').execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  it('refuses a redirect URI other than the authorization’s, a code of another client, and an expired code', async () => {
    const { deps, serverSecret, publicRequest, authorize, tokenRequest } = flow;
    const { verifier, challenge } = pkce();
    const code = await authorize(publicRequest(challenge));
    const base = { grant_type: 'authorization_code', code, client_id: 'mobile', code_verifier: verifier };
    expectOauthError(await tokenRequest({ ...base, redirect_uri: WEB_REDIRECT }), 400, 'invalid_grant');
    expectOauthError(await tokenRequest({ ...base, redirect_uri: `${PUBLIC_REDIRECT}?x=1` }), 400, 'invalid_grant');
    expectOauthError(
      await tokenRequest({ ...base, client_id: 'server', client_secret: serverSecret, redirect_uri: PUBLIC_REDIRECT }),
      400,
      'invalid_grant',
    );
    expectOauthError(await tokenRequest({ ...base }), 400, 'invalid_request');
    expect((await tokenRequest({ ...base, redirect_uri: PUBLIC_REDIRECT })).statusCode).toBe(200);

    const late = pkce();
    const lateCode = await authorize(publicRequest(late.challenge));
    deps.clock.advance(10 * 60 * 1000 + 1000);
    expectOauthError(
      await tokenRequest({ ...base, code: lateCode, code_verifier: late.verifier, redirect_uri: PUBLIC_REDIRECT }),
      400,
      'invalid_grant',
    );
  });

  it('authenticates confidential clients by secret, in the body or with Basic', async () => {
    const { deps, acme, ana, serverSecret, authorize, tokenRequest } = flow;
    const serverCode = async () =>
      authorize({ response_type: 'code', client_id: 'server', redirect_uri: SERVER_REDIRECT, scope: 'read', state: 'srv' });
    const base = (code: string) => ({ grant_type: 'authorization_code', code, redirect_uri: SERVER_REDIRECT });
    const basic = (id: string, secret: string) =>
      `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

    const code = await serverCode();
    expectOauthError(await tokenRequest({ ...base(code), client_id: 'server' }), 401, 'invalid_client');
    expectOauthError(await tokenRequest({ ...base(code), client_id: 'server', client_secret: `${serverSecret}x` }), 401, 'invalid_client');
    const wrongBasic = await tokenRequest(base(code), { authorization: basic('server', 'wrong') });
    expectOauthError(wrongBasic, 401, 'invalid_client');
    expect(wrongBasic.headers['www-authenticate']).toContain('Basic');
    expectOauthError(
      await tokenRequest({ ...base(code), client_secret: serverSecret }, { authorization: basic('server', serverSecret) }),
      400,
      'invalid_request',
    );
    const inBody = await tokenRequest({ ...base(code), client_id: 'server', client_secret: serverSecret });
    expect(inBody.statusCode, inBody.body).toBe(200);
    expect(inBody.json<TokenResponse>().scope).toBe('read');

    const viaBasic = await tokenRequest(base(await serverCode()), { authorization: basic('server', serverSecret) });
    expect(viaBasic.statusCode, viaBasic.body).toBe(200);
    // A session cookie on the token endpoint lends it nothing (and trips no CSRF check).
    const withCookie = await tokenRequest(
      { ...base(await serverCode()), client_id: 'server', client_secret: serverSecret },
      { cookie: (await signIn(deps, acme, ana)).cookie },
    );
    expect(withCookie.statusCode).toBe(200);
  });

  it('needs the account’s host to redeem a code', async () => {
    const { globex, publicRequest, authorize, tokenRequest } = flow;
    const { verifier, challenge } = pkce();
    const code = await authorize(publicRequest(challenge));
    const fields = { grant_type: 'authorization_code', code, redirect_uri: PUBLIC_REDIRECT, client_id: 'mobile', code_verifier: verifier };
    expectOauthError(await tokenRequest(fields, {}, '127.0.0.1'), 400, 'invalid_request');
    expectOauthError(await tokenRequest(fields, {}, hostOf(globex)), 401, 'invalid_client');
    expect((await tokenRequest(fields)).statusCode).toBe(200);
  });

  it('answers hostile and malformed token requests in the OAuth shape', async () => {
    const { app, database, acme, tokenRequest } = flow;
    expectOauthError(await app.inject({ method: 'POST', url: '/oauth/tokens', headers: { host: hostOf(acme) } }), 400, 'invalid_request');
    expectOauthError(await tokenRequest({ code: 'x' }), 400, 'invalid_request');
    expectOauthError(
      await tokenRequest({ grant_type: 'password', username: 'ana@acme.test', password: 'x' }),
      400,
      'unsupported_grant_type',
    );
    expectOauthError(await tokenRequest({ grant_type: 'client_credentials' }), 400, 'unsupported_grant_type');
    expectOauthError(
      await tokenRequest({ grant_type: 'authorization_code', code: ['a', 'b'], redirect_uri: PUBLIC_REDIRECT, client_id: 'mobile' }),
      400,
      'invalid_request',
    );
    expectOauthError(
      await tokenRequest({ grant_type: 'authorization_code', code: 'c'.repeat(300), redirect_uri: PUBLIC_REDIRECT, client_id: 'mobile' }),
      400,
      'invalid_request',
    );
    expectOauthError(
      await tokenRequest({
        grant_type: 'authorization_code',
        code: "' OR '1'='1' --",
        redirect_uri: PUBLIC_REDIRECT,
        client_id: 'mobile',
        code_verifier: pkce().verifier,
      }),
      400,
      'invalid_grant',
    );
    expectOauthError(
      await tokenRequest({ grant_type: 'refresh_token', refresh_token: "x'; DELETE FROM oauth_tokens; --", client_id: 'mobile' }),
      400,
      'invalid_grant',
    );
    expectOauthError(
      await tokenRequest({ grant_type: 'authorization_code', code: 'x', redirect_uri: PUBLIC_REDIRECT, client_id: "mobile' OR '1'='1" }),
      401,
      'invalid_client',
    );
    for (const authorization of [
      'Basic',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`,
      'Bearer abc',
    ]) {
      expectOauthError(
        await tokenRequest({ grant_type: 'authorization_code', code: 'x', redirect_uri: PUBLIC_REDIRECT }, { authorization }),
        401,
        'invalid_client',
      );
    }
    const json = await app.inject({
      method: 'POST',
      url: '/oauth/tokens',
      headers: { host: hostOf(acme) },
      payload: { grant_type: 'refresh_token', refresh_token: 'unknown', client_id: 'mobile' },
    });
    expectOauthError(json, 400, 'invalid_grant');
    const badJson = await app.inject({
      method: 'POST',
      url: '/oauth/tokens',
      headers: { host: hostOf(acme), 'content-type': 'application/json' },
      payload: '{"grant_type":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(await database.db.selectFrom('oauth_tokens').select('id').execute()).not.toHaveLength(0);
  });
});
