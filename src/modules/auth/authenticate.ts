import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Account } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { accountOrigin } from '../accounts/account-urls.js';
import { missingScope, type Principal } from '../accounts/principal.js';

/**
 * Each credential channel verifies its own kind of credential and returns
 * the principal, or throws a 401 `AppError`. `hostAccount` is the account the
 * Host header names (null when it names none).
 */
export interface Authenticators {
  /** `Authorization: Basic email:password`. */
  password(request: FastifyRequest, hostAccount: Account | null, email: string, password: string): Promise<Principal>;
  /** `Authorization: Basic email/token:TOKEN`; answered at once (not a promise) for a token this process already verified. */
  apiToken(request: FastifyRequest, hostAccount: Account | null, email: string, token: string): Principal | Promise<Principal>;
  /** `Authorization: Bearer TOKEN`. */
  oauthToken(request: FastifyRequest, hostAccount: Account | null, token: string): Promise<Principal>;
  /** The session cookie; also checks CSRF on unsafe methods. */
  session(request: FastifyRequest, hostAccount: Account | null): Promise<Principal | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw session secret when the request authenticated by cookie; for CSRF tokens. */
    sessionToken: string | null;
  }
  interface FastifyContextConfig {
    /**
     * The write only gives up the credential that calls it (a token revoking
     * itself), so a read-only credential may make it. Every other write needs
     * the `write` scope.
     */
    revokesOwnCredential?: boolean;
  }
}

const malformed = (what: string): AppError =>
  new AppError('Unauthorized', `The Authorization header is malformed: ${what}. Use "Basic base64(email/token:TOKEN)" or "Bearer TOKEN".`);

function decodeBasic(encoded: string): { user: string; secret: string } {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw malformed('Basic credentials must be "email:secret" in base64');
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * The principal of whichever credential the request carries: at once when its
 * channel answers at once (an API token already verified, nearly every API
 * call), else a promise. Throws, or rejects, with the channel's refusal.
 */
export function resolvePrincipal(request: FastifyRequest, authenticators: Authenticators): Principal | null | Promise<Principal | null> {
  const header = request.headers.authorization;
  const hostAccount = request.account;
  if (header !== undefined && header !== '') {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const { user, secret } = decodeBasic(value);
      if (user.endsWith('/token')) return authenticators.apiToken(request, hostAccount, user.slice(0, -'/token'.length), secret);
      return authenticators.password(request, hostAccount, user, secret);
    }
    if (scheme === 'bearer') {
      if (value === '') throw malformed('the Bearer token is empty');
      return authenticators.oauthToken(request, hostAccount, value);
    }
    throw malformed(`unsupported scheme "${scheme}"`);
  }
  return authenticators.session(request, hostAccount);
}

/** Methods that change nothing; every other one is a write. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Sets `request.principal` before every handler. Requests without a
 * credential go on with a null principal; routes that need one call
 * `requirePrincipal`. A credential without the `write` scope (a read-only
 * OAuth token) is refused on every unsafe method here, in one place, before
 * any route runs: no write route can forget the check. (The one exception a
 * route may declare: revoking the calling credential itself.)
 */
export const authenticationPlugin = fp(
  (app: FastifyInstance, options: { authenticators: Authenticators; publicUrl: string }, done: (error?: Error) => void) => {
    app.decorateRequest('principal', null);
    app.decorateRequest('sessionToken', null);
    app.decorateRequest('csrfRejected', false);
    const admit = (request: FastifyRequest, principal: Principal | null): void => {
      const write = !SAFE_METHODS.has(request.method) && request.routeOptions.config.revokesOwnCredential !== true;
      if (principal !== null && write && !principal.scopes.has('write')) throw missingScope('write');
      request.principal = principal;
      // A token names its account where the host names none: its links then lead to that account's configured origin.
      if (principal !== null && request.account === null) request.publicOrigin = accountOrigin(options.publicUrl, principal.account);
    };
    // A callback hook: a principal known at once is admitted without a promise.
    app.addHook('preHandler', (request, _reply, done) => {
      let principal: ReturnType<typeof resolvePrincipal>;
      try {
        principal = resolvePrincipal(request, options.authenticators);
        if (!(principal instanceof Promise)) admit(request, principal);
      } catch (error) {
        return done(error as Error);
      }
      if (!(principal instanceof Promise)) return done();
      principal.then((resolved) => admit(request, resolved)).then(() => done(), done);
    });
    done();
  },
  { name: 'riposte-authentication', dependencies: ['riposte-tenancy'] },
);
