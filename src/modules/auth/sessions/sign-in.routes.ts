import { errorShape } from '../../../platform/http/route-shapes.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireHostAccount } from '../../accounts/tenancy.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { REALMS } from '../../../platform/products.js';
import { requirePrincipal } from '../../accounts/principal.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import { revokeUserSessions, SESSION_LIFETIME_SECONDS } from './sessions.service.js';
import { passwordResetRequestJob } from './sign-in.jobs.js';
import { completeForcedChange, completePasswordReset, signInWithPassword, type ClientInfo } from './sign-in.service.js';

const email = { type: 'string', minLength: 3, maxLength: 320 } as const;
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const token = { type: 'string', minLength: 16, maxLength: 200 } as const;
const signedIn = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['signed_in', 'password_change_required'] },
    user: {
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } },
    },
    authenticity_token: { type: 'string' },
    change_token: { type: 'string' },
    expires_at: { type: 'string' },
  },
  required: ['status'],
} as const;

const clientOf = (request: FastifyRequest): ClientInfo => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null });

/** Web sign-in, the forced change step, sign-out and password reset. */
export function signInRoutes(deps: ServiceDeps) {
  // Password checks spend the client's budget in the password gate (passwords/password-gate.ts), across
  // routes; reset requests send mail and check no password, so they keep a cap of their own.
  const resetRequests = { rateLimit: { max: deps.config.passwordRateLimit, timeWindow: '1 minute' } };
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Body: { email: string; password: string; realm?: string } }>(
      '/access/sign_in',
      {
        schema: {
          tags: ['sign-in'],
          summary: 'Sign in with email and password; yields a session cookie, or a change step when a new password is required',
          body: {
            type: 'object',
            required: ['email', 'password'],
            additionalProperties: false,
            properties: { email, password, realm: { type: 'string', enum: [...REALMS] } },
          },
          response: { 200: signedIn, 401: errorShape, 404: errorShape },
        },
      },
      async (request, reply) => {
        const account = requireHostAccount(request);
        const result = await signInWithPassword(deps, {
          account,
          realm: request.body.realm ?? 'core',
          email: request.body.email,
          password: request.body.password,
          client: clientOf(request),
        });
        if (result.status === 'password_change_required') {
          return { status: result.status, change_token: result.changeToken, expires_at: result.expiresAt };
        }
        setSessionCookie(request, reply, result.session.token, SESSION_LIFETIME_SECONDS);
        const { id, name, email: address, role } = result.user;
        return { status: result.status, user: { id, name, email: address, role }, authenticity_token: result.session.csrfToken };
      },
    );

    app.post<{ Body: { change_token: string; password: string } }>(
      '/access/password_change',
      {
        schema: {
          tags: ['sign-in'],
          summary: 'Complete a forced password change with the change step of sign-in',
          body: {
            type: 'object',
            required: ['change_token', 'password'],
            additionalProperties: false,
            properties: { change_token: token, password },
          },
          response: { 200: signedIn, 401: errorShape, 422: errorShape },
        },
      },
      async (request, reply) => {
        const account = requireHostAccount(request);
        const { user, session } = await completeForcedChange(deps, {
          account,
          changeToken: request.body.change_token,
          newPassword: request.body.password,
          client: clientOf(request),
        });
        setSessionCookie(request, reply, session.token, SESSION_LIFETIME_SECONDS);
        return {
          status: 'signed_in',
          user: { id: user.id, name: user.name, email: user.email, role: user.role },
          authenticity_token: session.csrfToken,
        };
      },
    );

    app.post(
      '/access/sign_out',
      { schema: { tags: ['sign-in'], summary: 'End the current session', response: { 204: { type: 'null' } } } },
      async (request, reply) => {
        const principal = requirePrincipal(request);
        if (principal.via === 'session' && principal.credentialId !== null) {
          await revokeUserSessions(deps, {
            account: principal.account,
            user: principal.user,
            sessionId: principal.credentialId,
            actor: principal.user,
            reason: 'signed_out',
          });
        }
        clearSessionCookie(request, reply);
        return reply.status(204).send();
      },
    );

    app.post<{ Body: { email: string; realm?: string } }>(
      '/access/password_reset',
      {
        config: resetRequests,
        schema: {
          tags: ['sign-in'],
          summary: 'Email a password reset link; answers the same whether or not the address exists',
          body: {
            type: 'object',
            required: ['email'],
            additionalProperties: false,
            properties: { email, realm: { type: 'string', enum: [...REALMS] } },
          },
          response: { 202: { type: 'object', properties: { status: { type: 'string' }, description: { type: 'string' } } } },
        },
      },
      async (request, reply) => {
        const account = requireHostAccount(request);
        const resetPageUrl = `${request.publicOrigin}/access/password_reset`;
        // The lookup runs as a job, so the answer's timing tells nothing about the address.
        await deps.jobs.enqueue(passwordResetRequestJob, {
          accountId: account.id,
          realm: request.body.realm ?? 'core',
          email: request.body.email.toLowerCase(),
          resetPageUrl,
        });
        return reply.status(202).send({
          status: 'accepted',
          description: 'If this address belongs to a user who signs in with a password, a reset link is on its way.',
        });
      },
    );

    app.post<{ Body: { token: string; password: string } }>(
      '/access/password_reset/complete',
      {
        schema: {
          tags: ['sign-in'],
          summary: 'Set a new password with a reset link token',
          body: { type: 'object', required: ['token', 'password'], additionalProperties: false, properties: { token, password } },
          response: { 200: { type: 'object', properties: { status: { type: 'string' } } }, 401: errorShape, 422: errorShape },
        },
      },
      async (request) => {
        const account = requireHostAccount(request);
        await completePasswordReset(deps, { account, token: request.body.token, newPassword: request.body.password, clientIp: request.ip });
        return { status: 'password_changed' };
      },
    );
    done();
  };
}
