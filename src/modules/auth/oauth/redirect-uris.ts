/** Longest redirect URI accepted, and most a client may register. */
export const MAX_REDIRECT_URI_LENGTH = 2048;
export const MAX_REDIRECT_URIS = 10;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
// RFC 8252 §7.1: a native app's private-use scheme is a reversed domain name, so it holds a dot.
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;
// RFC 3986's characters only: exact matching must not depend on how a parser would re-encode the rest.
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/**
 * Why `uri` cannot be registered as a redirect URI, or undefined when it
 * can: https, http on loopback only, or a native app's private-use scheme;
 * never a fragment or credentials in the URI.
 *
 * @example
 * redirectUriProblem('https://app.example/callback') // undefined
 * redirectUriProblem('javascript:alert(1)')          // 'must use https, ...'
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (!URI_CHARACTERS.test(uri)) return 'must contain only URI characters (percent-encode spaces, quotes and the like)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment (#)';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.protocol === 'https:') return url.hostname === '' ? 'must name a host' : undefined;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'must use https (http is allowed only on localhost)';
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return undefined;
  return 'must use https, http on localhost, or a reverse-domain app scheme such as com.example.app:/callback';
}

/** `uri` with `params` added to its query, keeping what it had. */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}

/** The CSP source of a redirect URI: its origin, or its scheme for an app scheme. */
export function cspSourceOf(uri: string): string {
  const url = new URL(uri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
}
