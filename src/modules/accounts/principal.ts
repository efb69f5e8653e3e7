import type { FastifyRequest } from 'fastify';
import type { Account, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { ROLE_RANK } from './roles.js';

export type Scope = 'read' | 'write';
export type CredentialChannel = 'session' | 'password' | 'api_token' | 'oauth_token';

/** Who is making a request, through which credential, with what reach. */
export interface Principal {
  account: Account;
  user: User;
  via: CredentialChannel;
  scopes: ReadonlySet<Scope>;
  /** The session, API token or OAuth token id; null for password auth. */
  credentialId: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** A session cookie came with an unsafe method but without its CSRF token. */
    csrfRejected: boolean;
  }
}

export const unauthenticated = (): AppError =>
  new AppError('Unauthorized', "Couldn't authenticate you. Sign in, or send an API token (email/token:TOKEN) or an OAuth token (Bearer).");

export const csrfRefused = (): AppError =>
  new AppError(
    'InvalidCsrfToken',
    'This write needs the X-CSRF-Token header of your session (the authenticity_token from /api/v2/users/me.json).',
  );

export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === null) throw request.csrfRejected ? csrfRefused() : unauthenticated();
  return request.principal;
}

/** The refusal of a credential that lacks `scope`. */
export const missingScope = (scope: Scope): AppError =>
  new AppError('Forbidden', `This credential lacks the "${scope}" scope; ask for a token with it.`);

/** Refuses principals below `role`, and writes through read-only credentials. */
export function requireRole(principal: Principal, role: User['role'], scope: Scope = 'read'): void {
  if (ROLE_RANK[principal.user.role] < ROLE_RANK[role]) {
    throw new AppError('Forbidden', `This needs the ${role} role; you are signed in as ${principal.user.role}.`);
  }
  if (!principal.scopes.has(scope)) throw missingScope(scope);
}
