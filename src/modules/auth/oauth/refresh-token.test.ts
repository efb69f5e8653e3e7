import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../../test/support/databases.js';
import { hostOf, openOauthFlow, type OauthFlow, type TokenGrant as TokenResponse } from '../../../../test/support/identity-fixtures.js';

const expectOauthError = (response: LightMyRequestResponse, status: number, error: string): void => {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json()).toEqual({ error, error_description: expect.any(String) });
  expect(response.headers['cache-control']).toBe('no-store');
};

describe.each(backends)('OAuth refresh tokens and Bearer use on %s', (backend) => {
  let flow: OauthFlow;
  beforeAll(async () => {
    flow = await openOauthFlow(backend);
  });
  afterAll(async () => {
    await flow.close();
  });

  it('rotates refresh tokens, and revokes the family when one is reused', async () => {
    const { database, refresh, tokensForAna, whoAmI } = flow;
    const first = await tokensForAna();
    const rotated = await refresh(first.refresh_token);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const second = rotated.json<TokenResponse>();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe('read write');
    expect((await whoAmI(second.access_token)).statusCode).toBe(200);
    expect((await whoAmI(first.access_token)).statusCode).toBe(401);
    const third = (await refresh(second.refresh_token)).json<TokenResponse>();
    expect((await whoAmI(third.access_token)).statusCode).toBe(200);

    // Someone replays the first refresh token: refused, and the live descendant dies with it.
    expectOauthError(await refresh(first.refresh_token), 400, 'invalid_grant');
    expect((await whoAmI(third.access_token)).statusCode).toBe(401);
    expectOauthError(await refresh(third.refresh_token), 400, 'invalid_grant');
    const audit = await database.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'oauth_token.refresh_reused')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  it('refreshes where the Host names no account, not on another account’s host, and only for its client', async () => {
    const { globex, serverSecret, tokenRequest, refresh, tokensForAna, whoAmI } = flow;
    const tokens = await tokensForAna();
    expectOauthError(await refresh(tokens.refresh_token, {}, hostOf(globex)), 400, 'invalid_grant');
    expectOauthError(
      await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: 'server',
        client_secret: serverSecret,
      }),
      400,
      'invalid_grant',
    );
    const refreshed = await refresh(tokens.refresh_token, {}, '127.0.0.1');
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const accessToken = refreshed.json<TokenResponse>().access_token;
    expect((await whoAmI(accessToken, '127.0.0.1')).statusCode).toBe(200);
    expect((await whoAmI(accessToken, hostOf(globex))).statusCode).toBe(401);
  });

  it('narrows scope on refresh, never widens it, and read-only tokens cannot write', async () => {
    const { app, acme, refresh, tokensForAna } = flow;
    const narrowed = await refresh((await tokensForAna()).refresh_token, { scope: 'read' });
    expect(narrowed.json<TokenResponse>().scope).toBe('read');
    expectOauthError(await refresh(narrowed.json<TokenResponse>().refresh_token, { scope: 'read write' }), 400, 'invalid_scope');

    const readOnly = await tokensForAna('read');
    expect(readOnly.scope).toBe('read');
    const write = await app.inject({
      method: 'POST',
      url: '/api/v2/oauth/clients.json',
      headers: { host: hostOf(acme), authorization: `Bearer ${readOnly.access_token}` },
      payload: { client: { name: 'x', identifier: 'readonly-app', redirect_uri: ['https://a.example/cb'] } },
    });
    expect(write.statusCode).toBe(403);
  });

  it('refuses an expired access token, and its refresh token after 30 days', async () => {
    const { deps, refresh, tokensForAna, whoAmI } = flow;
    const tokens = await tokensForAna();
    deps.clock.advance(2 * 60 * 60 * 1000);
    expect((await whoAmI(tokens.access_token)).statusCode).toBe(401);
    const refreshed = await refresh(tokens.refresh_token);
    expect(refreshed.statusCode).toBe(200);
    const next = refreshed.json<TokenResponse>();
    expect((await whoAmI(next.access_token)).statusCode).toBe(200);
    deps.clock.advance(30 * 24 * 60 * 60 * 1000);
    expectOauthError(await refresh(next.refresh_token), 400, 'invalid_grant');
  });

  it('keeps working for a user whose password change is pending', async () => {
    const { database, ana, refresh, tokensForAna, whoAmI } = flow;
    const pending = await database.db
      .selectFrom('password_credentials')
      .select('must_change')
      .where('user_id', '=', ana.id)
      .executeTakeFirstOrThrow();
    expect(pending.must_change).toBe(1);
    const tokens = await tokensForAna();
    expect((await whoAmI(tokens.access_token)).statusCode).toBe(200);
    expect((await refresh(tokens.refresh_token)).statusCode).toBe(200);
  });
});
