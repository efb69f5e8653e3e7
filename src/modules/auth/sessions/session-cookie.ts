import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'riposte_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Longer than any cookie Riposte sets; a longer value is noise, not a credential. */
const MAX_COOKIE_VALUE_LENGTH = 1024;

function decodeCookieValue(raw: string): string | undefined {
  if (raw.length > MAX_COOKIE_VALUE_LENGTH) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Reads one cookie from the request without a cookie library on the hot path.
 * A cookie that is missing, empty, too long or badly percent-encoded is absent:
 * whatever a client sends in Cookie never turns into a 500. The first of
 * duplicated names wins (browsers send the most specific path first).
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = decodeCookieValue(part.slice(eq + 1).trim());
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** `Secure` whenever the request came over TLS (directly or, when trusted, through a proxy). */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (request.protocol === 'https') attributes.push('Secure');
  void reply.header('set-cookie', `${SESSION_COOKIE}=${token}; ${attributes.join('; ')}`);
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  setSessionCookie(request, reply, '', 0);
}

/**
 * The CSRF token of a session: derived from the session secret, so it needs
 * no storage and dies with the session. Sent back in `X-CSRF-Token` on every
 * cookie-authenticated write.
 */
export function csrfTokenFor(sessionToken: string): string {
  return crypto.createHmac('sha256', sessionToken).update('riposte-csrf').digest('base64url');
}
