import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { constantTimeEqual } from '../auth/secret-tokens.js';
import { CSRF_HEADER, csrfTokenFor, readCookie } from '../auth/sessions/session-cookie.js';
import { findStaffPrincipal, STAFF_SESSION_TTL_MS, type StaffPrincipal, type StaffRole } from './staff.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';

export const STAFF_COOKIE = 'riposte_staff';
/** Scoped to the operator API, so the browser never sends it to customer routes. */
const STAFF_COOKIE_PATH = '/ops';

/** Who may call an `/ops/v1` route: nobody signed in (sign-in itself), any staff, or operators (the default). */
export type StaffAccess = 'public' | 'any-staff' | StaffRole;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `/ops/v1` routes: who may call; operators only when absent. */
    staffAccess?: StaffAccess;
  }
  interface FastifyRequest {
    /** The signed-in staff member on `/ops/v1` routes; null elsewhere. */
    staff: StaffPrincipal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function setStaffCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  const attributes = [`Path=${STAFF_COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (request.protocol === 'https') attributes.push('Secure');
  void reply.header('set-cookie', `${STAFF_COOKIE}=${token}; ${attributes.join('; ')}`);
}

export const staffCookieMaxAge = (): number => STAFF_SESSION_TTL_MS / 1000;

const staffSignInRequired = (): AppError =>
  new AppError('Unauthorized', 'Sign in as staff first: POST /ops/v1/session with your email, password and authenticator code.');

/**
 * Authenticates an `/ops/v1` request from the staff cookie alone (customer
 * cookies and Authorization headers count for nothing here), checks CSRF on
 * writes and the route's role. Runs at `onRequest`, so an unauthenticated
 * caller learns nothing from body validation.
 */
export function staffAuthenticationHook(deps: Pick<ServiceDeps, 'db' | 'clock'>) {
  return async (request: FastifyRequest): Promise<void> => {
    const access = request.routeOptions.config.staffAccess ?? 'operator';
    if (access === 'public') return;
    const token = readCookie(request, STAFF_COOKIE);
    const staff = token === undefined || token === '' ? null : await findStaffPrincipal(deps, token);
    if (token === undefined || staff === null) throw staffSignInRequired();
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !constantTimeEqual(sent, csrfTokenFor(token)))
        throw new AppError('Forbidden', `Send the CSRF token from sign-in in the ${CSRF_HEADER} header on every write.`);
    }
    if (access !== 'any-staff' && staff.role !== access)
      throw new AppError('Forbidden', `This operation needs the ${access} role; you are signed in as ${staff.role}.`);
    request.staff = staff;
  };
}

/** The signed-in staff member; the hook guarantees one on every non-public `/ops/v1` route. */
export function requireStaff(request: FastifyRequest): StaffPrincipal {
  if (request.staff === null) throw staffSignInRequired();
  return request.staff;
}
