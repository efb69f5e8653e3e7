import type { Account } from '../../../db/schema.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { samlSignInUrl } from './saml-sso.service.js';
import { spEndpointsFor } from './sp-endpoints.js';
import { loadSsoConfig } from './sso-config.service.js';
import { ssoNotEnabled } from './sso-errors.js';

/**
 * Where to send a browser to sign in at the account's identity provider:
 * SAML when enabled (an AuthnRequest, `returnPath` as RelayState), else
 * Zendesk's JWT remote login URL with `return_to`. Throws `SsoNotEnabled`
 * when the account has neither.
 *
 * @example
 * reply.redirect(await identityProviderSignInUrl(deps, account, 'https://acme.localhost', '/hc'), 302);
 */
export async function identityProviderSignInUrl(deps: ServiceDeps, account: Account, origin: string, returnPath: string): Promise<string> {
  const config = await loadSsoConfig(deps, account.id);
  if (config.saml_enabled === 1) return samlSignInUrl(deps, account, spEndpointsFor(origin), returnPath);
  if (config.jwt_enabled === 1 && config.jwt_remote_login_url !== null) {
    // The identity provider signs the user in, then comes back to /access/jwt with a token and this return_to.
    const remote = new URL(config.jwt_remote_login_url);
    remote.searchParams.set('return_to', `${origin}${returnPath}`);
    return remote.toString();
  }
  throw ssoNotEnabled(null);
}
