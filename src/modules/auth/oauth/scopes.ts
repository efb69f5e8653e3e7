import type { Scope } from '../../accounts/principal.js';

/** The scopes Riposte grants: Zendesk's coarse `read` and `write`. */
export const OAUTH_SCOPES: readonly Scope[] = ['read', 'write'];

const isScope = (value: string): value is Scope => (OAUTH_SCOPES as readonly string[]).includes(value);

/**
 * Reads scopes from a list (`["read", "write"]`) or from RFC 6749's
 * space-separated string (`"read write"`); undefined when empty, unknown or
 * repeated.
 *
 * @example
 * parseScopes('read write') // ['read', 'write']
 */
export function parseScopes(input: string | readonly string[]): Scope[] | undefined {
  const parts = typeof input === 'string' ? input.split(' ').filter((part) => part !== '') : [...input];
  if (parts.length === 0 || new Set(parts).size !== parts.length || !parts.every(isScope)) return undefined;
  return OAUTH_SCOPES.filter((scope) => parts.includes(scope));
}

/** The stored and RFC 6749 form: space-separated, in a fixed order. */
export const formatScopes = (scopes: readonly Scope[]): string => OAUTH_SCOPES.filter((scope) => scopes.includes(scope)).join(' ');

/** Scopes read back from storage; anything unknown is dropped, never granted. */
export const storedScopes = (stored: string): Scope[] => OAUTH_SCOPES.filter((scope) => stored.split(' ').includes(scope));
