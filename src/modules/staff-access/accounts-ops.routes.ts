import type { FastifyInstance } from 'fastify';
import { pageBody, paginationQuerySchema, readPageRequest, type PaginationQuery } from '../../platform/http/pagination.js';
import { baseUrlOf, idString } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { listInstallationsAsStaff, listUsersAsStaff, setUserSuspendedAsStaff, showUserAsStaff } from './account-work.service.js';
import {
  presentStaffInstallation,
  presentStaffUser,
  staffInstallationPageAnswerSchema,
  staffUserAnswerSchema,
  staffUserPageAnswerSchema,
} from './accounts-ops.schema.js';
import { opsAuditLogRoutes } from './audit-logs-ops.routes.js';
import { opsResponses, opsTags as tags } from '../../platform/http/ops-shapes.js';
import { requireStaff } from '../staff/staff-auth.js';

export const subdomainString = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } as const;

interface AccountParams {
  subdomain: string;
}
interface AccountUserParams extends AccountParams {
  id: string;
}

const accountParams = { type: 'object', required: ['subdomain'], properties: { subdomain: subdomainString } } as const;
const accountUserParams = {
  type: 'object',
  required: ['subdomain', 'id'],
  properties: { subdomain: subdomainString, id: idString },
} as const;
const suspendBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;

const accountsUrl = (baseUrl: string, subdomain: string): string => `${baseUrl}/ops/v1/accounts/${subdomain}`;

/**
 * Support work on one customer's account, for any staff role, only while the
 * account has granted staff access (403 otherwise, naming what the customer
 * must do). Each call is a `staff.read` or `staff.write` event on the
 * account's audit chain, which the customer lists at /api/v2/staff_access/events.
 */
function grantGatedRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    const config = { staffAccess: 'any-staff' as const };

    app.get<{ Params: AccountParams; Querystring: PaginationQuery }>(
      '/ops/v1/accounts/:subdomain/users',
      {
        config,
        schema: {
          tags,
          summary: 'List an account’s users (needs the customer’s grant; audited on its chain)',
          params: accountParams,
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: opsResponses(staffUserPageAnswerSchema),
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { subdomain } = request.params;
        const { rows, count } = await listUsersAsStaff(deps, requireStaff(request), subdomain, page);
        const baseUrl = baseUrlOf(request);
        const views = rows.map((user) => presentStaffUser(user, baseUrl));
        return pageBody('users', views, page, `${accountsUrl(baseUrl, subdomain)}/users`, () => Promise.resolve(count ?? 0));
      },
    );

    app.get<{ Params: AccountUserParams }>(
      '/ops/v1/accounts/:subdomain/users/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Show one user of an account (needs the grant; audited)',
          params: accountUserParams,
          response: opsResponses(staffUserAnswerSchema),
        },
      },
      async (request) => {
        const user = await showUserAsStaff(deps, requireStaff(request), request.params.subdomain, Number(request.params.id));
        return { user: presentStaffUser(user, baseUrlOf(request)) };
      },
    );

    app.get<{ Params: AccountParams; Querystring: PaginationQuery }>(
      '/ops/v1/accounts/:subdomain/installations',
      {
        config,
        schema: {
          tags,
          summary: 'List an account’s app installations, without any setting’s value (needs the grant; audited)',
          params: accountParams,
          querystring: { type: 'object', properties: paginationQuerySchema },
          response: opsResponses(staffInstallationPageAnswerSchema),
        },
      },
      async (request) => {
        const page = readPageRequest(request.query);
        const { subdomain } = request.params;
        const { rows, count } = await listInstallationsAsStaff(deps, requireStaff(request), subdomain, page);
        const url = `${accountsUrl(baseUrlOf(request), subdomain)}/installations`;
        return pageBody('installations', rows.map(presentStaffInstallation), page, url, () => Promise.resolve(count ?? 0));
      },
    );

    for (const [verb, suspended] of [
      ['suspend', true],
      ['unsuspend', false],
    ] as const) {
      app.post<{ Params: AccountUserParams; Body: { reason?: string } | undefined }>(
        `/ops/v1/accounts/:subdomain/users/:id/${verb}`,
        {
          config,
          // The body (a reason) is optional: a bare POST counts as an empty one.
          preValidation: (request, _reply, next) => {
            request.body ??= {};
            next();
          },
          schema: {
            tags,
            summary: suspended
              ? 'Suspend a user: no sign-in, every session revoked (needs the grant; audited)'
              : 'Reinstate a suspended user (needs the grant; audited)',
            params: accountUserParams,
            body: suspendBody,
            response: opsResponses(staffUserAnswerSchema),
          },
        },
        async (request) => {
          const user = await setUserSuspendedAsStaff(deps, requireStaff(request), request.params.subdomain, {
            userId: Number(request.params.id),
            suspended,
            reason: request.body?.reason ?? null,
          });
          return { user: presentStaffUser(user, baseUrlOf(request)) };
        },
      );
    }
    done();
  };
}

/** Staff routes about one customer account: grant-gated support work, and operators' reading of its audit trail. */
export function opsAccountRoutes(deps: ServiceDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(grantGatedRoutes(deps));
    await app.register(opsAuditLogRoutes(deps));
  };
}
