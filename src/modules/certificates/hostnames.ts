/**
 * Host name matching of RFC 6125 (section 6.4.3), as browsers apply it to a
 * certificate's DNS names: comparison ignores case and a trailing dot; a
 * wildcard is allowed only as the whole left-most label, stands for exactly
 * one label, and needs at least two labels after it (`*.com` matches nothing).
 */

const normalise = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/**
 * Whether the certificate name `pattern` (possibly `*.example.com`) covers
 * the host name `host` (never a wildcard itself).
 *
 * @example
 * hostnameMatches('*.acme.test', 'help.acme.test') // true
 * hostnameMatches('*.acme.test', 'a.b.acme.test')  // false
 */
export function hostnameMatches(pattern: string, host: string): boolean {
  const name = normalise(pattern);
  const target = normalise(host);
  if (target === '' || target.includes('*')) return false;
  if (!name.includes('*')) return name === target;
  const [first, ...rest] = name.split('.');
  if (first !== '*' || rest.length < 2 || rest.some((label) => label.includes('*') || label === '')) return false;
  const [targetFirst, ...targetRest] = target.split('.');
  return targetFirst !== undefined && targetFirst !== '' && targetRest.join('.') === rest.join('.');
}

/**
 * Whether `names` cover every name of `covered`: each one is equal to one of
 * `names` or matched by one of its wildcards. A newer certificate that covers
 * an older one's names supersedes it.
 *
 * @example
 * coversAll(['*.acme.test'], ['help.acme.test', 'status.acme.test']) // true
 */
export function coversAll(names: readonly string[], covered: readonly string[]): boolean {
  if (covered.length === 0) return false;
  return covered.every((old) => names.some((name) => normalise(name) === normalise(old) || hostnameMatches(name, old)));
}

/** Whether any of `names` covers `host`. */
export const anyNameMatches = (names: readonly string[], host: string): boolean => names.some((name) => hostnameMatches(name, host));
