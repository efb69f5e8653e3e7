import type { ServiceDeps } from '../../platform/service-deps.js';
import type { Authenticators } from './authenticate.js';
import { authenticateApiToken } from './api-tokens/api-token.authenticator.js';
import type { VerifiedApiTokens } from './api-tokens/verified-api-tokens.js';
import { authenticateOauthToken } from './oauth/oauth-token.authenticator.js';
import { passwordAuthenticator } from './password-basic.authenticator.js';
import { sessionAuthenticator } from './sessions/session.authenticator.js';

/** Assembles each channel's authenticator from its module. */
export function buildAuthenticators(deps: ServiceDeps, verifiedApiTokens: VerifiedApiTokens): Authenticators {
  return {
    password: passwordAuthenticator(deps),
    apiToken: authenticateApiToken(deps, verifiedApiTokens),
    oauthToken: authenticateOauthToken(deps),
    session: sessionAuthenticator(deps),
  };
}
