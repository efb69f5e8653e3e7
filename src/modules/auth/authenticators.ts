import type { ServiceDeps } from '../../platform/service-deps.js';
import type { Authenticators } from './authenticate.js';
import { AppError } from '../../errors.js';

const unavailable = (channel: string): AppError =>
  new AppError('Unauthorized', 401, `${channel} authentication is not available on this server.`);

/** Assembles each channel's authenticator from its module. */
export function buildAuthenticators(_deps: ServiceDeps): Authenticators {
  return {
    password: () => Promise.reject(unavailable('Password')),
    apiToken: () => Promise.reject(unavailable('API token')),
    oauthToken: () => Promise.reject(unavailable('OAuth token')),
    session: () => Promise.resolve(null),
  };
}
