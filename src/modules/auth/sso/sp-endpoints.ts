/** Our service-provider identity at one origin (`https://acme.example.com`). */
export interface SpEndpoints {
  entityId: string;
  acsUrl: string;
}

/**
 * The SP's entity id and assertion consumer service URL, derived from the
 * origin the browser used, so each account (subdomain or mapped domain) is
 * its own service provider.
 *
 * @example
 * spEndpointsFor('https://acme.localhost') // { entityId: 'https://acme.localhost/access/saml/metadata', acsUrl: 'https://acme.localhost/access/saml' }
 */
export const spEndpointsFor = (origin: string): SpEndpoints => ({
  entityId: `${origin}/access/saml/metadata`,
  acsUrl: `${origin}/access/saml`,
});
