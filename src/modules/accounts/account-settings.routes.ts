import type { FastifyInstance } from 'fastify';
import type { Account } from '../../db/schema.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import { errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requirePrincipal, requireRole } from './principal.js';
import { setPasswordApiAccess } from './accounts.repo.js';
import { accountLifecycleAnswerSchema, presentAccountLifecycle } from './account-lifecycle.schema.js';
import { presentLifecycle } from './account-lifecycle.service.js';

const settingsBody = {
  type: 'object',
  properties: {
    settings: {
      type: 'object',
      properties: {
        api: { type: 'object', properties: { api_password_access: { type: 'boolean' }, api_token_access: { type: 'boolean' } } },
      },
    },
  },
} as const;

const present = (account: Pick<Account, 'password_api_access'>) => ({
  settings: { api: { api_password_access: account.password_api_access === 1, api_token_access: true } },
});

/** Zendesk's account settings, as far as authentication goes: whether `email:password` may call the API. */
export function accountSettingsRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/api/v2/account/settings',
      { schema: { tags: ['account'], summary: 'Account settings (admins)', response: { 200: settingsBody, ...errorResponses } } },
      (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        return present(principal.account);
      },
    );

    app.get(
      '/api/v2/account',
      {
        schema: {
          tags: ['account'],
          summary: 'The account’s standing with the vendor: status, activation date, products (admins)',
          response: { 200: accountLifecycleAnswerSchema, ...errorResponses },
        },
      },
      (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin');
        return presentAccountLifecycle(presentLifecycle(principal.account));
      },
    );

    app.put<{ Body: { settings: { api: { api_password_access: boolean } } } }>(
      '/api/v2/account/settings',
      {
        schema: {
          tags: ['account'],
          summary: 'Allow or refuse email and password on the API (admins)',
          body: {
            type: 'object',
            required: ['settings'],
            additionalProperties: false,
            properties: {
              settings: {
                type: 'object',
                required: ['api'],
                additionalProperties: false,
                properties: {
                  api: {
                    type: 'object',
                    required: ['api_password_access'],
                    additionalProperties: false,
                    properties: { api_password_access: { type: 'boolean' } },
                  },
                },
              },
            },
          },
          response: { 200: settingsBody, ...errorResponses },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request);
        requireRole(principal, 'admin', 'write');
        const allowed = request.body.settings.api.api_password_access;
        await deps.db.transaction().execute(async (tx) => {
          await setPasswordApiAccess(tx, principal.account.id, allowed, deps.clock.now().toISOString());
          await recordAudit(tx, deps, {
            accountId: principal.account.id,
            actor: { type: 'user', id: principal.user.id },
            action: 'account.settings_changed',
            data: { api_password_access: allowed },
          });
        });
        return present({ password_api_access: allowed ? 1 : 0 });
      },
    );
    done();
  };
}
