import { signInEventRoutes } from './modules/auth/sign-in-events/sign-in-events.routes.js';
import crypto from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyPluginCallback,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import type { DestinationStream } from 'pino';
import { AccountResolver, tenancyPlugin } from './modules/accounts/tenancy.js';
import type { ServiceDeps } from './platform/service-deps.js';
import { authenticationPlugin, SAFE_METHODS } from './modules/auth/authenticate.js';
import { buildAuthenticators } from './modules/auth/authenticators.js';
import { VerifiedApiTokens } from './modules/auth/api-tokens/verified-api-tokens.js';
import { IdentityChangeWatch } from './db/identity-changes.js';
import { apiTokenRoutes } from './modules/auth/api-tokens/api-tokens.routes.js';
import { oauthRoutes } from './modules/auth/oauth/oauth.routes.js';
import { signInRoutes } from './modules/auth/sessions/sign-in.routes.js';
import { ssoRoutes } from './modules/auth/sso/sso.routes.js';
import { userRoutes } from './modules/users/users.routes.js';
import { passwordRoutes } from './modules/auth/passwords/passwords.routes.js';
import { sessionRoutes } from './modules/auth/sessions/sessions.routes.js';
import { firstPasswords } from './modules/auth/passwords/first-password.js';
import { deletedUserRoutes } from './modules/users/deleted-users.routes.js';
import { erasureRoutes } from './modules/erasure/erasure.routes.js';
import { accountSettingsRoutes } from './modules/accounts/account-settings.routes.js';
import { appsRoutes } from './modules/apps/apps.routes.js';
import { certificateRoutes } from './modules/certificates/certificates.routes.js';
import { customerViewRoutes } from './modules/incidents/customer-view.routes.js';
import { affectedUsersRoutes } from './modules/incidents/affected-users.routes.js';
import { staffAuthenticationHook } from './modules/staff/staff-auth.js';
import { staffSessionRoutes } from './modules/staff/staff-session.routes.js';
import { opsIncidentRoutes } from './modules/incidents/incidents-ops.routes.js';
import { opsScopeRoutes } from './modules/incidents/scope-ops.routes.js';
import { opsCampaignRoutes } from './modules/incidents/campaigns-ops.routes.js';
import { opsNotificationRoutes } from './modules/notices/notices-ops.routes.js';
import { opsAccountRoutes } from './modules/staff-access/accounts-ops.routes.js';
import { opsAccountLifecycleRoutes } from './modules/staff-access/account-lifecycle-ops.routes.js';
import { opsConsoleRoutes } from './modules/web-console/ops-console.routes.js';
import { selectorSchema } from './modules/incidents/selectors/selector.schema.js';
import { explainedSelectorSchema } from './modules/incidents/scope-ops.schema.js';
import { opsAdvisoryRoutes } from './modules/advisories/advisories-ops.routes.js';
import { advisoryPublicRoutes } from './modules/advisories/advisories-public.routes.js';
import { staffAccessRoutes } from './modules/staff-access/staff-access.routes.js';
import { auditLogRoutes } from './modules/staff-access/audit-logs.routes.js';
import { signInOptionsRoutes } from './modules/web-console/sign-in-options.routes.js';
import { webConsoleRoutes } from './modules/web-console/web-console.routes.js';
import { installErrorHandler } from './platform/http/error-handler.js';
import { describeErrorResponses } from './platform/http/openapi-errors.js';
import { installNulRefusal } from './platform/http/nul-refusal.js';
import { healthRoutes } from './platform/http/health.routes.js';
import { sharedRateLimitStore } from './platform/http/shared-rate-limits.js';
import { loggerOptions, logsAt, RequestLogger } from './platform/http/logging.js';
import { fastifyTrustProxy } from './platform/http/trust-proxy.js';
import { installResponseHeaders } from './platform/http/response-headers.js';
import { installTransportSecurity } from './modules/certificates/transport-security.js';
import { endpointNotFound } from './platform/http/route-shapes.js';
import { installOperatorHostGuard } from './modules/staff/operator-host.js';
import { installMetrics } from './platform/http/metrics.js';
import { listenerTimeouts } from './platform/http/listener-timeouts.js';
import { securityWebhookRoutes } from './modules/security-events/security-webhooks.routes.js';
import { opsSecurityWebhookRoutes } from './modules/security-events/security-webhooks-ops.routes.js';

export interface AppDeps extends ServiceDeps {
  /** Where logs go; tests pass a stream to read them. */
  logStream?: DestinationStream;
  /** Extra route plugins (module routes as they land; tests add probes). */
  routes?: Array<FastifyPluginCallback | FastifyPluginAsync>;
  /** Sees every route as it is registered, hidden ones included (the hostile sweep enumerates them so). */
  observeRoutes?: (route: RouteOptions) => void;
}

const INCOMING_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** One log line per request, when it is answered (with the request in it), rather than Fastify's two. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request) || !logsAt(reply.log, error ? 'error' : 'info')) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** The Fastify instance every role's application starts from: logger, limits, timeouts, proxy trust, request ids. */
function createFastify(deps: AppDeps): FastifyInstance {
  const options = loggerOptions(deps.config.logLevel);
  const timeouts = listenerTimeouts(deps.config);
  const app = Fastify({
    logger: deps.logStream === undefined ? options : { ...options, stream: deps.logStream },
    bodyLimit: deps.config.bodyLimitBytes,
    // Slow or idle clients are cut off (README, "Transport, listeners and files").
    connectionTimeout: timeouts.idleTimeoutMs,
    keepAliveTimeout: timeouts.server.keepAliveTimeout,
    requestTimeout: timeouts.server.requestTimeout,
    http: timeouts.server,
    trustProxy: fastifyTrustProxy(deps.config.trustProxy),
    requestIdHeader: 'x-request-id',
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && INCOMING_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Zendesk clients call `/api/v2/users.json`; routes are declared without the suffix.
    rewriteUrl: (request) => (request.url ?? '/').replace(/\.json(?=\?|$)/, ''),
    logController: new OneLinePerRequest(),
    childLoggerFactory: (logger, bindings, options) => new RequestLogger(logger, bindings, options),
  });
  installResponseHeaders(app);
  return app;
}

/**
 * A worker process's application (`riposte serve --role worker`): it runs
 * background jobs, and serves only liveness, readiness and metrics.
 */
export async function buildWorkerApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createFastify(deps);
  installErrorHandler(app);
  installMetrics(app, deps.config);
  await app.register(healthRoutes(deps.db, deps.handle.capabilities.kind));
  return app;
}

/**
 * Builds the HTTP application: plugins, then module routes, then the one
 * error handler. Does not listen; `main.ts` does.
 *
 * @example
 * const app = await buildApp({ config, db, clock: systemClock });
 * const response = await app.inject({ url: '/healthz' });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createFastify(deps);
  // Services log security alerts through the app's logger.
  deps = { ...deps, log: deps.log ?? app.log };
  if (deps.observeRoutes !== undefined) app.addHook('onRoute', deps.observeRoutes);

  installTransportSecurity(app, deps.config, deps.db);
  // Links default to the configured public origin; the customers' tenancy hook narrows it to the account's.
  app.decorateRequest('publicOrigin', new URL(deps.config.publicUrl).origin);
  installOperatorHostGuard(app, deps.config);
  installErrorHandler(app);
  installNulRefusal(app);
  await app.register(swagger, {
    transform: describeErrorResponses,
    openapi: {
      info: {
        title: 'Riposte API',
        version: '0.1.0',
        description: 'Identity core and breach-response engine. Zendesk-compatible where Zendesk has the endpoint.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Counted in the database: a limit holds across every process, not per process.
  await app.register(rateLimit, { global: false, store: sharedRateLimitStore(deps.db) });
  installMetrics(app, deps.config);
  // The staff realm (/ops/v1) and the customers' side are sibling contexts: the staff hook
  // guards every operator route and nothing else, and the customer Host → account and
  // credential hooks never run on operator requests.
  await app.register(async (operators) => {
    operators.decorateRequest('staff', null);
    operators.addSchema(selectorSchema);
    operators.addSchema(explainedSelectorSchema);
    operators.addHook('onRequest', staffAuthenticationHook(deps));
    await operators.register(staffSessionRoutes(deps));
    await operators.register(opsIncidentRoutes(deps));
    await operators.register(opsScopeRoutes(deps));
    await operators.register(opsCampaignRoutes(deps));
    await operators.register(opsNotificationRoutes(deps));
    await operators.register(opsAccountRoutes(deps));
    await operators.register(opsAccountLifecycleRoutes(deps));
    await operators.register(opsConsoleRoutes(deps));
    await operators.register(opsAdvisoryRoutes(deps));
    await operators.register(opsSecurityWebhookRoutes(deps));
  });
  // Public advisories: anyone may read them, so neither tenancy nor credentials apply.
  await app.register(advisoryPublicRoutes(deps));
  await app.register(webConsoleRoutes());
  // What this process caches about who may authenticate (accounts by host, verified API tokens) is dropped
  // when the database's identity generation moves: polled, and read at once after this process's own writes.
  const identityChanges = new IdentityChangeWatch(deps.db);
  const accountResolver = new AccountResolver(deps.db, deps.config.baseDomain);
  identityChanges.onChange(() => accountResolver.forget());
  const verifiedApiTokens = new VerifiedApiTokens(identityChanges);
  identityChanges.start();
  app.addHook('onClose', (_instance, done) => {
    identityChanges.stop();
    done();
  });
  // A callback hook, not an async one: reads, nearly every request, pass without a promise.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (SAFE_METHODS.has(request.method)) return done(null, payload);
    identityChanges.check().then(() => done(null, payload), done);
  });
  await app.register(async (customers) => {
    await customers.register(tenancyPlugin, {
      resolver: accountResolver,
      baseDomain: deps.config.baseDomain,
      publicUrl: deps.config.publicUrl,
    });
    await customers.register(authenticationPlugin, {
      authenticators: buildAuthenticators(deps, verifiedApiTokens),
      publicUrl: deps.config.publicUrl,
    });
    await customers.register(apiTokenRoutes(deps));
    await customers.register(oauthRoutes(deps));

    await customers.register(healthRoutes(deps.db, deps.handle.capabilities.kind));
    await customers.register(signInRoutes(deps));
    await customers.register(userRoutes(deps, firstPasswords(deps)));
    await customers.register(passwordRoutes(deps));
    await customers.register(sessionRoutes(deps));
    await customers.register(deletedUserRoutes(deps));
    await customers.register(erasureRoutes(deps));
    await customers.register(accountSettingsRoutes(deps));
    await customers.register(appsRoutes(deps));
    await customers.register(certificateRoutes(deps));
    await customers.register(customerViewRoutes(deps));
    await customers.register(affectedUsersRoutes(deps));
    await customers.register(ssoRoutes(deps));
    await customers.register(staffAccessRoutes(deps));
    await customers.register(auditLogRoutes(deps));
    await customers.register(signInEventRoutes(deps));
    await customers.register(securityWebhookRoutes(deps));
    await customers.register(signInOptionsRoutes(deps));
    for (const routes of deps.routes ?? []) await customers.register(routes);
  });

  // A rate-limited 404, so probing for endpoints is slow work.
  app.setNotFoundHandler({ preHandler: app.rateLimit({ max: 120, timeWindow: '1 minute' }) }, (request) => {
    throw endpointNotFound(request);
  });
  await app.ready();
  return app;
}
