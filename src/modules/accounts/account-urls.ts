import type { Account } from '../../db/schema.js';

/** Which of its names a request used for its account: its subdomain of the base domain, or its mapped domain. */
export type AccountHostKind = 'subdomain' | 'mapped';

let lastPublicUrl: { text: string; url: URL } | undefined;

/** The configured public URL, parsed once rather than on every request that names an account. */
function parsedPublicUrl(text: string): URL {
  if (lastPublicUrl?.text !== text) lastPublicUrl = { text, url: new URL(text) };
  return lastPublicUrl.url;
}

/**
 * The origin of an account's pages, from configuration alone: the scheme and
 * host of `RIPOSTE_PUBLIC_URL` under the account's subdomain, or the account's
 * own mapped domain (stored, never taken from a request) with the public
 * URL's scheme and port. Every absolute URL Riposte writes starts here.
 *
 * @example
 * accountOrigin('https://example.com', { subdomain: 'acme', host_mapping: 'help.acme.test' }) // 'https://acme.example.com'
 * accountOrigin('https://example.com', { subdomain: 'acme', host_mapping: 'help.acme.test' }, 'mapped') // 'https://help.acme.test'
 */
export function accountOrigin(
  publicUrl: string,
  account: Pick<Account, 'subdomain' | 'host_mapping'>,
  via: AccountHostKind = 'subdomain',
): string {
  const base = parsedPublicUrl(publicUrl);
  if (via === 'mapped' && account.host_mapping !== null && account.host_mapping !== '')
    return `${base.protocol}//${account.host_mapping}${base.port === '' ? '' : `:${base.port}`}`;
  return `${base.protocol}//${account.subdomain}.${base.host}`;
}

/** `http://localhost:3000` + `acme` + `/security` → `http://acme.localhost:3000/security`. */
export function accountUrl(publicUrl: string, subdomain: string, pathname: string): string {
  return `${accountOrigin(publicUrl, { subdomain, host_mapping: null })}${pathname}`;
}
