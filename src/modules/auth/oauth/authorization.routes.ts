import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requireHostAccount } from '../../accounts/tenancy.js';
import { requirePrincipal, type Principal } from '../../accounts/principal.js';
import { constantTimeEqual } from '../secret-tokens.js';
import { CSRF_HEADER, csrfTokenFor } from '../sessions/session-cookie.js';
import {
  checkAuthorizationRequest,
  decideAuthorization,
  type AuthorizationParams,
  type AuthorizationRequest,
} from './authorization.service.js';
import { consentLocaleOf, renderConsentPage } from './consent-page.js';
import { cspSourceOf } from './redirect-uris.js';
import { errorResponses } from '../../../platform/http/route-shapes.js';
import { formatScopes } from './scopes.js';

const authorizationParams = {
  response_type: { type: 'string', maxLength: 32 },
  client_id: { type: 'string', maxLength: 100 },
  redirect_uri: { type: 'string', maxLength: 2048 },
  scope: { type: 'string', maxLength: 64 },
  state: { type: 'string', maxLength: 1024 },
  code_challenge: { type: 'string', maxLength: 128 },
  code_challenge_method: { type: 'string', maxLength: 16 },
} as const;

interface DecisionBody extends AuthorizationParams {
  csrf_token: string;
  decision: 'allow' | 'deny';
}

const tags = ['oauth'];
// Consent is a human clicking; this is a flood guard, not a guessing limit (codes are 256-bit).
const throttled = { rateLimit: { max: 120, timeWindow: '1 minute' } };

const signInFirst = (): AppError =>
  new AppError('Unauthorized', "Sign in to your account's web console first, then open this authorization link again.");

/** The signed-in web session of the request, on the account the Host names. */
function requireSession(request: FastifyRequest): { principal: Principal; sessionToken: string } {
  const account = requireHostAccount(request);
  // A session whose CSRF token was wrong is refused as such (403) by requirePrincipal.
  if (request.principal === null && !request.csrfRejected) throw signInFirst();
  const principal = requirePrincipal(request);
  if (principal.via !== 'session' || request.sessionToken === null || principal.account.id !== account.id) throw signInFirst();
  return { principal, sessionToken: request.sessionToken };
}

/** Pages and redirects of this flow carry secrets or decisions: never cached, framed or referred. */
function protect(reply: FastifyReply, redirectUri?: string): void {
  const formTargets = redirectUri === undefined ? "'self'" : `'self' ${cspSourceOf(redirectUri)}`;
  void reply
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`,
    );
}

function hiddenFields(request: AuthorizationRequest, csrfToken: string): Record<string, string> {
  const fields: Record<string, string> = {
    response_type: 'code',
    client_id: request.client.identifier,
    redirect_uri: request.redirectUri,
    scope: formatScopes(request.scopes),
    csrf_token: csrfToken,
  };
  if (request.state !== undefined) fields.state = request.state;
  if (request.codeChallenge !== null && request.codeChallengeMethod !== null) {
    fields.code_challenge = request.codeChallenge;
    fields.code_challenge_method = request.codeChallengeMethod;
  }
  return fields;
}

/**
 * The authorization-code grant's user-facing half, at Zendesk's paths:
 * `GET /oauth/authorizations/new` shows the consent page to the signed-in
 * user; `POST /oauth/authorizations` applies their decision and redirects to
 * the client with a code or `error=access_denied`. Register with
 * `@fastify/formbody` in scope (the consent form posts a form).
 */
export function authorizationRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Querystring: AuthorizationParams }>(
      '/oauth/authorizations/new',
      {
        config: throttled,
        schema: {
          tags,
          summary: 'Consent page of the authorization-code grant (needs a signed-in web session)',
          querystring: { type: 'object', properties: authorizationParams },
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const { principal, sessionToken } = requireSession(request);
        const checked = await checkAuthorizationRequest(deps, principal.account, request.query);
        if (!checked.ok) {
          protect(reply);
          return reply.redirect(checked.redirectTo, 302);
        }
        const authorization = checked.request;
        protect(reply, authorization.redirectUri);
        const html = renderConsentPage({
          locale: consentLocaleOf(principal.user.locale, principal.account.locale),
          clientName: authorization.client.name,
          accountName: principal.account.name,
          userName: principal.user.name,
          userEmail: principal.user.email,
          scopes: authorization.scopes,
          redirectUri: authorization.redirectUri,
          fields: hiddenFields(authorization, csrfTokenFor(sessionToken)),
        });
        return reply.type('text/html; charset=utf-8').send(html);
      },
    );

    app.post<{ Body: DecisionBody }>(
      '/oauth/authorizations',
      {
        config: throttled,
        // An HTML form cannot send the X-CSRF-Token header the session channel checks on writes; it sends the
        // same token as a field, which is handed to that check here. The handler compares it again.
        preValidation: (request, _reply, next) => {
          const body = request.body as { csrf_token?: unknown } | undefined;
          if (request.headers[CSRF_HEADER] === undefined && typeof body?.csrf_token === 'string')
            request.headers[CSRF_HEADER] = body.csrf_token;
          next();
        },
        schema: {
          tags,
          summary: 'Allow or deny an authorization request; redirects to the client',
          body: {
            type: 'object',
            required: ['csrf_token', 'decision'],
            properties: {
              ...authorizationParams,
              csrf_token: { type: 'string', maxLength: 128 },
              decision: { type: 'string', enum: ['allow', 'deny'] },
            },
          },
          response: errorResponses,
        },
      },
      async (request, reply) => {
        const { principal, sessionToken } = requireSession(request);
        if (!constantTimeEqual(request.body.csrf_token, csrfTokenFor(sessionToken))) {
          throw new AppError(
            'InvalidCsrfToken',
            'The consent form has expired or did not come from this site; open the authorization link again.',
          );
        }
        const checked = await checkAuthorizationRequest(deps, principal.account, request.body);
        protect(reply);
        if (!checked.ok) return reply.redirect(checked.redirectTo, 302);
        return reply.redirect(await decideAuthorization(deps, principal, checked.request, request.body.decision), 302);
      },
    );
    done();
  };
}
