import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Account, User } from '../../db/schema.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { apiTokenAuthorization, hostOf, insertUser, signIn, type TestSession } from '../../../test/support/identity-fixtures.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../../../test/support/staff-fixtures.js';
import { deliverDueWebhooks, dispatchSecurityEvents } from './security-event-delivery.js';
import type { SiemLine } from './siem-sink.js';

/**
 * Verification by the Standard Webhooks reference library (`standardwebhooks`,
 * the specification's own JavaScript implementation), at the test clock's time:
 * it refuses a timestamp more than five minutes from "now".
 */
function verifyStandardWebhook(secret: string, headers: http.IncomingHttpHeaders, body: string, nowSeconds: number): boolean {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(nowSeconds * 1000);
  try {
    new Webhook(secret).verify(body, headers as Record<string, string>);
    return true;
  } catch {
    return false;
  } finally {
    vi.useRealTimers();
  }
}

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

interface EventBody {
  type: string;
  timestamp: string;
  data: {
    id: string;
    account_id: number;
    action: string;
    audit_seq: number;
    target: { type: string; id: string } | null;
    details: Record<string, unknown>;
  };
}

/** A receiver: `/failing-once` answers 500 to the first request of each webhook-id, then 200; every other path 200. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const failedOnce = new Set<string>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      const path = request.url ?? '/';
      const fail = path === '/failing-once' && !failedOnce.has(id);
      if (fail) failedOnce.add(id);
      const status = fail ? 500 : 200;
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(backends)('security event webhooks on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let acme: Account;
  let globex: Account;
  let acmeAdmin: User;
  let acmeSession: TestSession;
  let globexSession: TestSession;
  let agentSession: TestSession;
  let operator: StaffSession;
  const siem: SiemLine[] = [];
  const memorySink = { write: (lines: readonly SiemLine[]) => Promise.resolve(void siem.push(...lines)) };

  const register = (session: TestSession, url: string, extra: Record<string, unknown> = {}) =>
    app.inject({
      method: 'POST',
      url: '/api/v2/security/webhooks.json',
      headers: session.headers,
      payload: { webhook: { url, ...extra } },
    });

  const sendEverything = async () => {
    await dispatchSecurityEvents(deps, [memorySink]);
    return deliverDueWebhooks(deps);
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const base = testDeps(database);
    // Development: the receiver listens on loopback over http.
    deps = Object.assign(base, { config: { ...base.config, webhooksAllowPrivate: true } });
    app = await buildTestApp(deps);
    receiver = await startReceiver();
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    acmeAdmin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    const globexAdmin = await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' });
    const acmeAgent = await insertUser(database.db, acme, 'agent@acme.test', { role: 'agent' });
    acmeSession = await signIn(deps, acme, acmeAdmin);
    globexSession = await signIn(deps, globex, globexAdmin);
    agentSession = await signIn(deps, acme, acmeAgent);
    const staff = await createTestStaff(deps, 'ops@vendor.test', 'operator');
    operator = await staffSignIn(app, deps.clock, staff);
    // What happened before any endpoint existed is nobody's: clear it out.
    await sendEverything();
    siem.length = 0;
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await database?.dispose();
  });

  it('delivers signed events, retries a failure with the same id, and never crosses accounts', async () => {
    const acmeHook = await register(acmeSession, `${receiver.url}/failing-once`);
    expect(acmeHook.statusCode).toBe(201);
    const acmeSecret = acmeHook.json<{ webhook: { secret: string } }>().webhook.secret;
    expect(acmeSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const globexHook = await register(globexSession, `${receiver.url}/globex`);
    const globexSecret = globexHook.json<{ webhook: { secret: string } }>().webhook.secret;
    const opsHook = await app.inject({
      method: 'POST',
      url: '/ops/v1/webhooks',
      headers: operator.headers,
      payload: { webhook: { url: `${receiver.url}/operators`, description: 'SOC' } },
    });
    expect(opsHook.statusCode).toBe(201);
    const opsSecret = opsHook.json<{ webhook: { secret: string } }>().webhook.secret;

    // A security change through the API (an API token is a credential).
    const before = receiver.received.length;
    const token = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: acmeSession.headers,
      payload: { api_token: { description: 'SIEM pull' } },
    });
    expect(token.statusCode).toBe(201);
    // Nothing is sent on the request path.
    expect(receiver.received.length).toBe(before);

    const first = await sendEverything();
    expect(first.retrying).toBe(2); // acme's webhook.created and api_token.created, each answered 500
    const acmeFirst = receiver.received.filter((r) => r.path === '/failing-once');
    expect(acmeFirst.map((r) => (JSON.parse(r.body) as EventBody).type).sort()).toEqual(['api_token.created', 'webhook.created']);
    expect(acmeFirst.every((r) => r.status === 500)).toBe(true);

    // Not due yet: nothing more is sent.
    expect((await deliverDueWebhooks(deps)).retrying).toBe(0);
    deps.clock.advance(31_000);
    const second = await deliverDueWebhooks(deps);
    expect(second).toMatchObject({ delivered: 2, retrying: 0, failed: 0, nextWakeUp: null });

    const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
    const acmeAll = receiver.received.filter((r) => r.path === '/failing-once');
    expect(acmeAll).toHaveLength(4);
    const ids = acmeAll.map((r) => String(r.headers['webhook-id']));
    expect(new Set(ids).size).toBe(2);
    for (const id of new Set(ids)) {
      const attempts = acmeAll.filter((r) => r.headers['webhook-id'] === id);
      expect(attempts.map((r) => r.status)).toEqual([500, 200]);
      // Same body on the retry; a new timestamp and signature.
      expect(attempts[1]?.body).toBe(attempts[0]?.body);
    }
    for (const r of acmeAll) {
      expect(verifyStandardWebhook(acmeSecret, r.headers, r.body, nowSeconds)).toBe(true);
      expect(verifyStandardWebhook(globexSecret, r.headers, r.body, nowSeconds)).toBe(false);
      const body = JSON.parse(r.body) as EventBody;
      expect(body.data.account_id).toBe(acme.id);
      expect(body.data.id).toBe(r.headers['webhook-id']);
      expect(r.headers['content-type']).toBe('application/json');
    }
    // A tampered body does not verify.
    const sample = acmeAll[0] as Received;
    expect(verifyStandardWebhook(acmeSecret, sample.headers, sample.body.replace('"type":"', '"type":"x'), nowSeconds)).toBe(false);

    // Globex's endpoint got its own webhook.created only, never an acme event.
    const globexAll = receiver.received.filter((r) => r.path === '/globex');
    expect(globexAll.map((r) => JSON.parse(r.body) as EventBody).map((b) => [b.type, b.data.account_id])).toEqual([
      ['webhook.created', globex.id],
    ]);
    expect(globexAll.every((r) => verifyStandardWebhook(globexSecret, r.headers, r.body, nowSeconds))).toBe(true);

    // The operators' endpoint sees every account's events, once each.
    const opsAll = receiver.received.filter((r) => r.path === '/operators');
    const opsBodies = opsAll.map((r) => JSON.parse(r.body) as EventBody);
    expect(opsBodies.map((b) => `${b.data.account_id}:${b.type}`).sort()).toEqual(
      [`0:webhook.created`, `${acme.id}:api_token.created`, `${acme.id}:webhook.created`, `${globex.id}:webhook.created`].sort(),
    );
    expect(opsAll.every((r) => verifyStandardWebhook(opsSecret, r.headers, r.body, nowSeconds))).toBe(true);

    // The SIEM stream got each event once, the same JSON.
    expect(siem.map((l) => (JSON.parse(l.json) as EventBody).data.id).sort()).toEqual(opsBodies.map((b) => b.data.id).sort());

    // Dispatching again sends nothing twice.
    const again = await sendEverything();
    expect(again).toMatchObject({ delivered: 0, retrying: 0, failed: 0 });
  });

  it('keeps other endpoints flowing when one is down', async () => {
    const down = await register(acmeSession, 'http://127.0.0.1:1/down');
    expect(down.statusCode).toBe(201);
    const received = receiver.received.length;
    await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: acmeSession.headers,
      payload: { api_token: { description: 'x' } },
    });
    const run = await sendEverything();
    expect(run.retrying).toBeGreaterThanOrEqual(1);
    // The healthy endpoints still received the new events.
    const fresh = receiver.received.slice(received).map((r) => r.path);
    expect(fresh).toContain('/operators');
    await app.inject({
      method: 'DELETE',
      url: `/api/v2/security/webhooks/${down.json<{ webhook: { id: number } }>().webhook.id}.json`,
      headers: acmeSession.headers,
    });
  });

  it('delivers webhooks while the SIEM receiver is down, and queues each delivery once however often the batch is retried', async () => {
    const received = receiver.received.length;
    await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: acmeSession.headers,
      payload: { api_token: { description: 'during a SIEM outage' } },
    });
    const downSink = { write: () => Promise.reject(new Error('syslog receiver refused the connection')) };
    await expect(dispatchSecurityEvents(deps, [downSink])).rejects.toThrow('refused');
    await expect(dispatchSecurityEvents(deps, [downSink])).rejects.toThrow('refused');
    expect((await deliverDueWebhooks(deps)).delivered).toBeGreaterThanOrEqual(1);
    const during = receiver.received
      .slice(received)
      .filter((r) => (JSON.parse(r.body) as EventBody).data.details.description === 'during a SIEM outage');
    // Acme's endpoint (which answers the first attempt with a 500) and the operators' each got it once.
    expect(during.map((r) => r.path).sort()).toEqual(['/failing-once', '/operators']);
    // The receiver is back: the stream gets the batch, and no endpoint gets anything twice.
    const before = siem.length;
    expect(await dispatchSecurityEvents(deps, [memorySink])).toBeGreaterThanOrEqual(1);
    expect(siem.length).toBeGreaterThan(before);
    expect(await deliverDueWebhooks(deps)).toMatchObject({ delivered: 0, retrying: 0 });
    const ids = receiver.received.slice(received).map((r) => `${r.path} ${String(r.headers['webhook-id'])}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps registration to the account’s own admins', async () => {
    const list = await app.inject({ url: '/api/v2/security/webhooks.json', headers: acmeSession.headers });
    expect(list.statusCode).toBe(200);
    const hooks = list.json<{ webhooks: { id: number; url: string; secret?: string }[] }>().webhooks;
    expect(hooks.map((h) => h.url)).toEqual([`${receiver.url}/failing-once`]);
    expect(hooks[0]?.secret).toBeUndefined();
    const acmeHookId = hooks[0]?.id as number;

    // Another account's admin sees only its own, and cannot delete acme's.
    const globexList = await app.inject({ url: '/api/v2/security/webhooks.json', headers: globexSession.headers });
    expect(globexList.json<{ webhooks: { url: string }[] }>().webhooks.map((h) => h.url)).toEqual([`${receiver.url}/globex`]);
    const crossDelete = await app.inject({
      method: 'DELETE',
      url: `/api/v2/security/webhooks/${acmeHookId}.json`,
      headers: globexSession.headers,
    });
    expect(crossDelete.statusCode).toBe(404);
    // Globex's session on acme's host (a forged Host) is not a session there.
    const forged = await app.inject({ url: '/api/v2/security/webhooks.json', headers: { ...globexSession.headers, host: hostOf(acme) } });
    expect(forged.statusCode).toBe(401);
    // An agent may neither list nor register.
    expect((await app.inject({ url: '/api/v2/security/webhooks.json', headers: agentSession.headers })).statusCode).toBe(403);
    expect((await register(agentSession, 'https://siem.example/hook')).statusCode).toBe(403);
    // Nor may anyone unauthenticated, nor an operator's cookie on the customer side.
    expect((await app.inject({ url: '/api/v2/security/webhooks.json', headers: { host: hostOf(acme) } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/ops/v1/webhooks', headers: { cookie: acmeSession.cookie } })).statusCode).toBe(401);

    // An acme API token used on globex's host does not reach globex's webhooks.
    const created = await app.inject({
      method: 'POST',
      url: '/api/v2/api_tokens.json',
      headers: acmeSession.headers,
      payload: { api_token: { description: 'probe' } },
    });
    const raw = created.json<{ api_token: { token: string } }>().api_token.token;
    const crossHost = await app.inject({
      url: '/api/v2/security/webhooks.json',
      headers: { host: hostOf(globex), authorization: apiTokenAuthorization(acmeAdmin.email, raw) },
    });
    expect(crossHost.statusCode).toBe(401);

    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/v2/security/webhooks/${acmeHookId}.json`,
      headers: acmeSession.headers,
    });
    expect(removed.statusCode).toBe(204);
    const audit = await database.db
      .selectFrom('audit_events')
      .select('action')
      .where('account_id', '=', acme.id)
      .where('action', 'like', 'security_webhook.%')
      .execute();
    expect(audit.map((a) => a.action)).toContain('security_webhook.deleted');
  });

  it('refuses endpoints that are not https or are private, and unknown event types', async () => {
    const strict = await buildTestApp({ ...deps, config: { ...deps.config, webhooksAllowPrivate: false } });
    try {
      const attempt = (url: string) =>
        strict.inject({
          method: 'POST',
          url: '/api/v2/security/webhooks.json',
          headers: acmeSession.headers,
          payload: { webhook: { url } },
        });
      for (const url of [
        'http://siem.example/hook',
        'http://localhost:9000/hook',
        'https://127.0.0.1/hook',
        'https://10.1.2.3/hook',
        'https://169.254.169.254/latest/meta-data',
        'https://[::1]/hook',
        'https://user:pw@siem.example/hook',
        'ftp://siem.example/hook',
      ]) {
        const response = await attempt(url);
        expect(response.statusCode, url).toBe(422);
      }
      const typo = await register(acmeSession, 'https://siem.example/hook', { event_types: ['certificate.revoke'] });
      expect(typo.statusCode).toBe(400);
      const extra = await app.inject({
        method: 'POST',
        url: '/api/v2/security/webhooks.json',
        headers: acmeSession.headers,
        payload: { webhook: { url: 'https://siem.example/hook', account_id: globex.id } },
      });
      // An account id in the body counts for nothing: the endpoint is the caller's account's.
      expect(extra.statusCode).toBe(201);
      const globexList = await app.inject({ url: '/api/v2/security/webhooks.json', headers: globexSession.headers });
      expect(globexList.json<{ webhooks: { url: string }[] }>().webhooks.map((h) => h.url)).toEqual([`${receiver.url}/globex`]);
    } finally {
      await strict.close();
    }
  });
});
