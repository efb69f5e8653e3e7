import type { Queryable } from '../../db/database.js';
import { listApiTokensCreatedBefore } from './api-tokens/api-tokens.repo.js';
import { listClientsWithSecretSetBefore } from './oauth/oauth-clients.repo.js';
import { findSsoConfig } from './sso/sso.repo.js';

/** An account's authentication credentials set before an incident's cutoff, each with the date it was set. */
export interface CredentialExposure {
  apiTokens: Array<{ id: number; description: string; tokenHint: string; createdAt: string; lastUsedAt: string | null }>;
  oauthClients: Array<{ id: number; name: string; identifier: string; secretSetAt: string }>;
  /** When the JWT shared secret in use was set, if before the cutoff. */
  jwtSecretSetAt: string | null;
  /** When the SAML identity provider's configuration in use was set, if before the cutoff. */
  samlConfiguredAt: string | null;
}

const before = (at: string | null, cutoff: string): string | null => (at !== null && at < cutoff ? at : null);

/**
 * What of the account's API tokens, OAuth client secrets and SSO
 * configuration predates `cutoff` and is still in use: what a customer must
 * regenerate, revoke or replace after `auth_credentials` were exposed.
 *
 * @example
 * const { apiTokens } = await credentialExposureForAccount(db, account.id, '2016-11-01T00:00:00.000Z');
 */
export async function credentialExposureForAccount(db: Queryable, accountId: number, cutoff: string): Promise<CredentialExposure> {
  const [tokens, clients, sso] = await Promise.all([
    listApiTokensCreatedBefore(db, accountId, cutoff),
    listClientsWithSecretSetBefore(db, accountId, cutoff),
    findSsoConfig(db, accountId),
  ]);
  return {
    apiTokens: tokens.map((token) => ({
      id: Number(token.id),
      description: token.description,
      tokenHint: token.token_hint,
      createdAt: token.created_at,
      lastUsedAt: token.last_used_at,
    })),
    oauthClients: clients.flatMap((client) =>
      client.secret_set_at === null
        ? []
        : [{ id: Number(client.id), name: client.name, identifier: client.identifier, secretSetAt: client.secret_set_at }],
    ),
    jwtSecretSetAt: sso?.jwt_secret_sealed === null ? null : before(sso?.jwt_secret_set_at ?? null, cutoff),
    samlConfiguredAt: sso?.saml_idp_certificate === null ? null : before(sso?.saml_configured_at ?? null, cutoff),
  };
}
