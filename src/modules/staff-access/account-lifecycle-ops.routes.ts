import type { FastifyInstance } from 'fastify';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import {
  accountLifecycleAnswerSchema,
  accountLifecycleChangeBodySchema,
  presentAccountLifecycle,
  type AccountLifecycleChangeBody,
} from '../accounts/account-lifecycle.schema.js';
import { accountLifecycle, changeAccountLifecycle } from '../accounts/account-lifecycle.service.js';
import { requireStaff } from '../staff/staff-auth.js';
import { staffActor } from '../staff/staff.service.js';
import { subdomainString } from './accounts-ops.routes.js';

const params = { type: 'object', required: ['subdomain'], properties: { subdomain: subdomainString } } as const;

/**
 * The vendor's own record of an account (status, activation, products), for
 * operators: not the customer's data, so no staff-access grant is needed.
 * A change is an `account.lifecycle_changed` event on the account's chain,
 * which its admins read in their audit log.
 */
export function opsAccountLifecycleRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get<{ Params: { subdomain: string } }>(
      '/ops/v1/accounts/:subdomain',
      {
        schema: {
          tags,
          summary: 'An account’s status, activation date and products',
          params,
          response: opsResponses(accountLifecycleAnswerSchema),
        },
      },
      async (request) => presentAccountLifecycle(await accountLifecycle(deps, request.params.subdomain)),
    );

    app.put<{ Params: { subdomain: string }; Body: AccountLifecycleChangeBody }>(
      '/ops/v1/accounts/:subdomain',
      {
        schema: {
          tags,
          summary: 'Change an account’s status (trial, active, trial_expired, inactive), activation date or products (audited)',
          params,
          body: accountLifecycleChangeBodySchema,
          response: opsResponses(accountLifecycleAnswerSchema),
        },
      },
      async (request) =>
        presentAccountLifecycle(
          await changeAccountLifecycle(deps, request.params.subdomain, request.body.account, staffActor(requireStaff(request))),
        ),
    );
    done();
  };
}
