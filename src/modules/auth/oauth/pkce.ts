import crypto from 'node:crypto';
import { constantTimeEqual } from '../secret-tokens.js';

/** RFC 7636: a verifier is 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is the base64url SHA-256 of the verifier: 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Only S256: `plain` would hand the verifier to whoever sees the authorization request. */
export const PKCE_METHODS = ['S256'] as const;
export type PkceMethod = (typeof PKCE_METHODS)[number];

export const isCodeVerifier = (value: string): boolean => CODE_VERIFIER.test(value);
export const isS256Challenge = (value: string): boolean => S256_CHALLENGE.test(value);

export const s256 = (verifier: string): string => crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');

/**
 * Whether `verifier` answers `challenge`, compared in constant time.
 *
 * @example
 * verifyPkce(verifier, s256(verifier)) // true
 */
export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!isCodeVerifier(verifier)) return false;
  return constantTimeEqual(s256(verifier), challenge);
}
