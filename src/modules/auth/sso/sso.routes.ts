import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requireHostAccount } from '../../accounts/tenancy.js';
import { requirePrincipal } from '../../accounts/principal.js';
import { setSessionCookie } from '../sessions/session-cookie.js';
import { SESSION_LIFETIME_SECONDS, type StartedSession } from '../sessions/sessions.service.js';
import { verifySsoJwt } from './jwt-sso.service.js';
import { safeReturnPath } from '../../../platform/http/return-path.js';
import { serviceProviderMetadata, verifySamlResponse } from './saml-sso.service.js';
import { spEndpointsFor } from './sp-endpoints.js';
import { showSsoConfig, updateSsoConfig } from './sso-config.service.js';
import { identityProviderSignInUrl } from './sso-start.service.js';
import { signInWithSso, type SsoIdentity, type SsoMethod } from './sso-sign-in.service.js';
import {
  errorSchema,
  jwtSignInSchema,
  returnToQuerySchema,
  samlAcsBodySchema,
  ssoConfigBodySchema,
  ssoConfigViewSchema,
  type JwtSignInFields,
  type SamlAcsFields,
  type SsoConfigInput,
} from './sso.schema.js';

/** The SAML audience, ACS and return URLs: the account's configured origin, never the request's Host or X-Forwarded-Host. */
const originOf = (request: FastifyRequest): string => request.publicOrigin;

const configBody = { type: 'object', properties: { sso: ssoConfigViewSchema } } as const;
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 422: errorSchema } as const;
const redirect = { 302: { description: 'Redirect', type: 'null' } } as const;
const signInErrors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema } as const;

// Each attempt costs a signature check and a write; this cap is a coarse flood guard.
const throttled = { rateLimit: { max: 60, timeWindow: '1 minute' } };

/** Why an SSO sign-in failed, for its sign-in event: the token's refusal reason, else the error's code. */
const ssoFailureReason = (error: unknown): string => {
  if (!(error instanceof AppError)) return 'error';
  const reason = error.details?.reason;
  return typeof reason === 'string' ? reason : error.code.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
};

/**
 * Verifies the identity provider's token, signs the identity in, sets the
 * session cookie and sends the browser on; the attempt, either way, is a
 * sign-in event of its channel.
 */
async function completeSignIn(
  deps: ServiceDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { verify: (account: Account) => Promise<SsoIdentity>; method: SsoMethod; returnTo: string | undefined },
): Promise<FastifyReply> {
  const account = requireHostAccount(request);
  const client = { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
  const attempt = (outcome: 'succeeded' | 'failed', reason: string | null, userId: number | null, email: string | null) =>
    deps.signInEvents.record({
      accountId: account.id,
      userId,
      channel: input.method === 'jwt' ? 'jwt_sso' : 'saml_sso',
      outcome,
      reason,
      ip: client.ip,
      userAgent: client.userAgent,
      identifier: email,
    });
  let identity: SsoIdentity | undefined;
  let session: StartedSession;
  try {
    identity = await input.verify(account);
    const signedIn = await signInWithSso(deps, { account, identity, method: input.method, client });
    session = signedIn.session;
    attempt('succeeded', null, Number(signedIn.user.id), identity.email);
  } catch (error) {
    attempt('failed', ssoFailureReason(error), null, identity?.email ?? null);
    throw error;
  }
  setSessionCookie(request, reply, session.token, SESSION_LIFETIME_SECONDS);
  void reply.header('cache-control', 'no-store');
  return reply.redirect(safeReturnPath(input.returnTo, originOf(request)), 302);
}

/**
 * Single sign-on: the account's SSO configuration (admins), JWT sign-in
 * (Zendesk's `/access/jwt`), and the SAML 2.0 service provider (metadata,
 * SP-initiated redirect, assertion consumer service).
 */
export function ssoRoutes(deps: ServiceDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    // Identity providers POST forms; only these routes accept them.
    await app.register(formbody);

    app.get(
      '/api/v2/account/sso',
      {
        schema: {
          tags: ['sso'],
          summary: "The account's SSO configuration (the JWT shared secret is never shown)",
          response: { 200: configBody, ...errors },
        },
      },
      async (request) => ({ sso: await showSsoConfig(deps, requirePrincipal(request), originOf(request)) }),
    );

    app.put<{ Body: { sso: SsoConfigInput } }>(
      '/api/v2/account/sso',
      {
        schema: {
          tags: ['sso'],
          summary: "Change the account's SSO configuration; omitted fields keep their value",
          body: ssoConfigBodySchema,
          response: { 200: configBody, ...errors },
        },
      },
      async (request) => ({ sso: await updateSsoConfig(deps, requirePrincipal(request), request.body.sso, originOf(request)) }),
    );

    const jwtSignIn = async (request: FastifyRequest, reply: FastifyReply, fields: JwtSignInFields): Promise<FastifyReply> => {
      return completeSignIn(deps, request, reply, {
        verify: (account) => verifySsoJwt(deps, account, fields.jwt),
        method: 'jwt',
        returnTo: fields.return_to,
      });
    };
    const jwtSchema = { tags: ['sso'], response: { ...redirect, ...signInErrors } };
    app.get<{ Querystring: JwtSignInFields }>(
      '/access/jwt',
      {
        config: throttled,
        schema: { ...jwtSchema, summary: 'Sign in with a JWT from the identity provider (redirect)', querystring: jwtSignInSchema },
      },
      (request, reply) => jwtSignIn(request, reply, request.query),
    );
    app.post<{ Body: JwtSignInFields }>(
      '/access/jwt',
      {
        config: throttled,
        schema: { ...jwtSchema, summary: 'Sign in with a JWT from the identity provider (form post)', body: jwtSignInSchema },
      },
      (request, reply) => jwtSignIn(request, reply, request.body),
    );

    app.get(
      '/access/saml/metadata',
      {
        schema: {
          tags: ['sso'],
          summary: 'SAML 2.0 service provider metadata of this account',
          response: { 200: { type: 'string' }, 404: errorSchema },
        },
      },
      (request, reply) => {
        requireHostAccount(request);
        return reply.type('application/samlmetadata+xml; charset=utf-8').send(serviceProviderMetadata(spEndpointsFor(originOf(request))));
      },
    );

    app.get<{ Querystring: { return_to?: string } }>(
      '/access/sso',
      {
        config: throttled,
        schema: {
          tags: ['sso'],
          summary: "Start sign-in at the account's identity provider",
          querystring: returnToQuerySchema,
          response: { ...redirect, 403: errorSchema, 404: errorSchema },
        },
      },
      async (request, reply) => {
        const origin = originOf(request);
        const returnPath = safeReturnPath(request.query.return_to, origin);
        return reply.redirect(await identityProviderSignInUrl(deps, requireHostAccount(request), origin, returnPath), 302);
      },
    );

    app.post<{ Body: SamlAcsFields }>(
      '/access/saml',
      {
        config: throttled,
        schema: {
          tags: ['sso'],
          summary: 'SAML assertion consumer service (HTTP-POST binding)',
          body: samlAcsBodySchema,
          response: { ...redirect, ...signInErrors },
        },
      },
      async (request, reply) => {
        return completeSignIn(deps, request, reply, {
          verify: (account) => verifySamlResponse(deps, account, spEndpointsFor(originOf(request)), request.body.SAMLResponse),
          method: 'saml',
          returnTo: request.body.RelayState,
        });
      },
    );
  };
}
