import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { grantTokens, OAuthProtocolError, readBasicClientCredentials, type TokenRequestParams } from './token-endpoint.service.js';

const param = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const tokenRequestSchema = {
  type: 'object',
  properties: {
    grant_type: param(64),
    code: param(256),
    redirect_uri: param(2048),
    code_verifier: param(256),
    client_id: param(100),
    client_secret: param(256),
    refresh_token: param(256),
    scope: param(64),
  },
} as const;

const oauthErrorShape = {
  type: 'object',
  // `description` and `details` too: errors the app's handler answers (a malformed body) keep the Zendesk shape.
  properties: {
    error: { type: 'string' },
    error_description: { type: 'string' },
    description: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

const tokenResponseSchema = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
    refresh_token_expires_in: { type: 'integer' },
    scope: { type: 'string' },
  },
} as const;

// The Authorization header here holds client credentials, not a user's: it is taken out of the request
// before the authentication hook runs (which would read it as a user's password), and kept for the handler.
const clientAuthorizations = new WeakMap<FastifyRequest, string>();

/**
 * The token endpoint, `POST /oauth/tokens` (RFC 6749 §3.2), form or JSON.
 * Errors answer in OAuth's shape (`error`, `error_description`), not
 * Zendesk's. Register with `@fastify/formbody` in scope.
 */
export function tokenEndpointRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Body: TokenRequestParams | undefined }>(
      '/oauth/tokens',
      {
        config: { rateLimit: { max: 300, timeWindow: '1 minute' } },
        attachValidation: true,
        onRequest: (request, _reply, next) => {
          const header = request.headers.authorization;
          if (header !== undefined) clientAuthorizations.set(request, header);
          delete request.headers.authorization;
          // Cookies mean nothing to the token endpoint; a browser's session must not lend it authority.
          delete request.headers.cookie;
          next();
        },
        schema: {
          tags: ['oauth'],
          summary: 'OAuth token endpoint: authorization_code (with PKCE) and refresh_token grants',
          body: tokenRequestSchema,
          response: { 200: tokenResponseSchema, '4xx': oauthErrorShape },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        const header = clientAuthorizations.get(request);
        try {
          if (request.validationError !== undefined) {
            throw new OAuthProtocolError(
              'invalid_request',
              `The token request is malformed: ${request.validationError.message}. Send each parameter once, as a string.`,
            );
          }
          const basic = header === undefined ? null : readBasicClientCredentials(header);
          return await grantTokens(deps, { hostAccount: request.account, params: request.body ?? {}, basic });
        } catch (error) {
          if (!(error instanceof OAuthProtocolError)) throw error;
          if (error.code === 'invalid_client' && header !== undefined) void reply.header('www-authenticate', 'Basic realm="oauth"');
          return reply.status(error.status).send({ error: error.code, error_description: error.message });
        }
      },
    );
    done();
  };
}
