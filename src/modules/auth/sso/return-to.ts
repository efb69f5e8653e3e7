/**
 * Where to send the browser after an SSO sign-in: only a place on the same
 * origin, reduced to its path, so that neither `return_to` nor `RelayState`
 * can turn the sign-in into an open redirect. Anything else yields `/`.
 *
 * @example
 * safeReturnPath('/hc/en-us?x=1', 'https://acme.localhost') // '/hc/en-us?x=1'
 * safeReturnPath('https://acme.localhost/agent', 'https://acme.localhost') // '/agent'
 * safeReturnPath('//evil.test/', 'https://acme.localhost') // '/'
 */
export function safeReturnPath(returnTo: string | undefined, origin: string): string {
  if (returnTo === undefined || returnTo === '') return '/';
  let target: URL;
  try {
    target = new URL(returnTo, `${origin}/`);
  } catch {
    return '/';
  }
  if (target.origin !== new URL(origin).origin) return '/';
  // Serialising through URL percent-encodes anything that could split the Location header.
  return `${target.pathname}${target.search}${target.hash}`;
}
