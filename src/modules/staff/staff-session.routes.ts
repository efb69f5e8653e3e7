import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../platform/http/route-shapes.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireStaff, setStaffCookie, staffCookieMaxAge } from './staff-auth.js';
import { staffSignInWireSchema, type StaffSignInWire } from './staff-session.schema.js';
import { signInStaff, signOutStaff } from './staff.service.js';

const tags = ['operators'];

interface SignInBody {
  email: string;
  password: string;
  totp: string;
}

/** Staff sign-in (password and TOTP) and sign-out; the session lives in the `riposte_staff` cookie. */
export function staffSessionRoutes(deps: ServiceDeps) {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.post<{ Body: SignInBody }>(
      '/ops/v1/session',
      {
        // The client's password budget is spent in signInStaff's password gate, shared with every other password route.
        config: { staffAccess: 'public' },
        schema: {
          tags,
          summary: 'Sign in as staff with email, password and an authenticator (TOTP) code',
          body: {
            type: 'object',
            required: ['email', 'password', 'totp'],
            additionalProperties: false,
            properties: {
              email: { type: 'string', maxLength: 320 },
              password: { type: 'string', maxLength: 1024 },
              totp: { type: 'string', maxLength: 16 },
            },
          },
          response: { 200: staffSignInWireSchema, ...errorResponses },
        },
      },
      async (request, reply): Promise<StaffSignInWire> => {
        const signedIn = await signInStaff(deps, {
          ...request.body,
          clientIp: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        });
        setStaffCookie(request, reply, signedIn.token, staffCookieMaxAge());
        return { csrf_token: signedIn.csrfToken, expires_at: signedIn.expiresAt, staff: signedIn.staff };
      },
    );

    app.delete(
      '/ops/v1/session',
      {
        config: { staffAccess: 'any-staff' },
        schema: { tags, summary: 'Sign out: revoke the staff session', response: { 204: { type: 'null' }, ...errorResponses } },
      },
      async (request, reply) => {
        await signOutStaff(deps, requireStaff(request));
        setStaffCookie(request, reply, '', 0);
        return reply.code(204).send();
      },
    );
    done();
  };
}
