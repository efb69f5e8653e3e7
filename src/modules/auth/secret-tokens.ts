import crypto from 'node:crypto';

/**
 * High-entropy bearer secrets (session ids, API tokens, OAuth tokens, reset
 * links). Only their SHA-256 is stored: with 256 random bits a fast hash is
 * safe, and lookups by hash stay one indexed read.
 */
export interface IssuedToken {
  /** Shown once to its owner, never stored. */
  raw: string;
  hash: string;
}

/** One-shot hashing: every API-token request hashes its token, and a Hash object per call cost it about 1 µs more. */
export function hashSecretToken(raw: string): string {
  return crypto.hash('sha256', raw, 'base64url');
}

export function issueSecretToken(bytes = 32): IssuedToken {
  const raw = crypto.randomBytes(bytes).toString('base64url');
  return { raw, hash: hashSecretToken(raw) };
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}
