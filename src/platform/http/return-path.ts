/**
 * Where to send a browser back to after a sign-in: only a path on `origin`,
 * never anything a browser could read as another host. It has no imports, so
 * the web console uses the same function as the server.
 *
 * Refused (the answer is `/`): other origins and schemes (`javascript:`,
 * `data:`), protocol-relative forms (`//host`, `/\host`, and `/.//host`, which
 * normalises to `//host`), backslashes and control characters anywhere
 * (browsers read `\` as `/` and drop tabs and newlines), encoded slashes in the
 * path (`%2F`, `%5C`), and look-alike hosts
 * (an IDN host is compared in its punycode form, so it never equals the origin's).
 *
 * @example
 * safeReturnPath('/hc/en-us?x=1', 'https://acme.localhost') // '/hc/en-us?x=1'
 * safeReturnPath('https://acme.localhost/agent', 'https://acme.localhost') // '/agent'
 * safeReturnPath('/.//evil.test/x', 'https://acme.localhost') // '/'
 */
export function safeReturnPath(returnTo: string | null | undefined, origin: string): string {
  if (returnTo === undefined || returnTo === null || returnTo === '') return '/';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f\\]/.test(returnTo)) return '/';
  let expected: URL;
  let target: URL;
  try {
    expected = new URL(origin);
    target = new URL(returnTo, `${expected.origin}/`);
  } catch {
    return '/';
  }
  if (target.origin !== expected.origin || target.username !== '' || target.password !== '') return '/';
  const path = `${target.pathname}${target.search}${target.hash}`;
  // An encoded slash is harmless to a browser but not to every server behind it that decodes once more.
  if (!path.startsWith('/') || path.startsWith('//') || /%(2f|5c)/i.test(target.pathname)) return '/';
  // Read back as a browser would: still on the origin, or refused.
  return new URL(path, `${expected.origin}/`).origin === expected.origin ? path : '/';
}
