import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireHostAccount } from '../accounts/tenancy.js';
import { describePasswordPolicy, PASSWORD_POLICY } from '../auth/passwords/password-policy.js';
import { loadSsoConfig } from '../auth/sso/sso-config.service.js';

const signInOptions = {
  type: 'object',
  properties: {
    account: { type: 'object', properties: { name: { type: 'string' }, subdomain: { type: 'string' }, locale: { type: 'string' } } },
    sso: {
      type: 'object',
      properties: { enabled: { type: 'boolean' }, method: { type: ['string', 'null'] }, url: { type: 'string' } },
    },
    password_policy: {
      type: 'object',
      properties: {
        min_length: { type: 'integer' },
        max_length: { type: 'integer' },
        history_size: { type: 'integer' },
        email_local_part_min_length: { type: 'integer' },
      },
    },
  },
} as const;

/**
 * What the sign-in page of an account shows before anyone signs in: the
 * account's name and language, whether it offers single sign-on, and the
 * password policy the change step checks live. Nothing secret: the same a
 * visitor of the account's sign-in page sees.
 */
export function signInOptionsRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/access/sign_in_options',
      {
        schema: {
          tags: ['sign-in'],
          summary: 'The account’s name, language, single sign-on and password policy, for its sign-in page',
          response: { 200: signInOptions, ...errorResponses },
        },
      },
      async (request) => {
        const account = requireHostAccount(request);
        const sso = await loadSsoConfig(deps, account.id);
        const method = sso.saml_enabled === 1 ? 'saml' : sso.jwt_enabled === 1 && sso.jwt_remote_login_url !== null ? 'jwt' : null;
        const policy = describePasswordPolicy();
        return {
          account: { name: account.name, subdomain: account.subdomain, locale: account.locale },
          sso: { enabled: method !== null, method, url: '/access/sso' },
          password_policy: {
            min_length: policy.minLength,
            max_length: policy.maxLength,
            history_size: policy.historySize,
            email_local_part_min_length: PASSWORD_POLICY.emailLocalPartMinLength,
          },
        };
      },
    );
    done();
  };
}
