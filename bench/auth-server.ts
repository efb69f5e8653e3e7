/**
 * The server side of `npm run bench:auth`, run in its own process so the
 * load generator does not share its event loop. Modes:
 *   hello    a bare Fastify hello world (the baseline)
 *   riposte  the real application over the bench's data directory
 *   riposte-proxied  the same with its defaults (30 password checks per address and minute)
 *            behind a trusted proxy at 127.0.0.1 (RIPOSTE_TRUST_PROXY=127.0.0.1); a third
 *            argument sets RIPOSTE_PASSWORD_REFUSAL_DELAY_MS
 *   riposte-no-events  the same as riposte with sign-in events not recorded: the baseline of their cost
 *   argon2   no server: hashes with Riposte's argon2id parameters, as fast as the thread pool allows
 * Replies to the parent over IPC: its port, then event-loop delay, hash computations and CPU time per
 * request answered (since `reset-cpu`, in all and split into user and kernel time) on request.
 */
import type { Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { openRuntime } from '../src/main.js';
import { hashPassword, passwordHashComputations } from '../src/modules/auth/passwords/password-hashing.js';

type Message =
  | { type: 'reset-delay' }
  | { type: 'report-delay' }
  | { type: 'report-hashes' }
  | { type: 'reset-cpu' }
  | { type: 'report-cpu' }
  | { type: 'argon2'; seconds: number; concurrency: number };

const mode = process.argv[2];
const dataDir = process.argv[3] ?? './data';
const send = (message: unknown): void => {
  process.send?.(message);
};

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

// CPU time per request answered, since the last reset: steadier than requests a second on a machine shared with others.
let requestsAnswered = 0;
let cpuFrom = { usage: process.cpuUsage(), requests: 0 };
const countRequests = (server: Server): void => {
  server.on('request', () => {
    requestsAnswered += 1;
  });
};

async function hashFor(seconds: number, concurrency: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let hashes = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await hashPassword(`bench-password-${hashes}`);
      hashes += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return hashes / ((performance.now() - started) / 1000);
}

async function listen(): Promise<number> {
  if (mode === 'hello') {
    const app = Fastify({ logger: false });
    app.get('/hello', () => ({ hello: 'world' }));
    countRequests(app.server);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as { port: number }).port;
  }
  // riposte: one load generator on one address, so the per-address guards are lifted: its budget, and its
  // share of the hashing slots (a quarter of them: 64 slots let its 8 connections hash at once).
  // riposte-proxied: the defaults, with the legitimate clients' addresses coming through a trusted proxy.
  const runtime = await openRuntime(
    mode === 'riposte-proxied'
      ? { dataDir, logLevel: 'silent', port: '0', trustProxy: '127.0.0.1', passwordRefusalDelayMs: process.argv[4] }
      : { dataDir, logLevel: 'silent', port: '0', passwordRateLimit: String(1e9), passwordHashConcurrency: '64' },
  );
  // The baseline of the events' cost: every attempt is dropped where the log would take it.
  if (mode === 'riposte-no-events') runtime.signInEvents.record = () => undefined;
  const app = await buildApp(runtime);
  countRequests(app.server);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

process.on('message', (message: Message) => {
  if (message.type === 'reset-delay') delay.reset();
  if (message.type === 'report-delay')
    send({ type: 'delay', p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
  if (message.type === 'report-hashes') send({ type: 'hashes', computed: passwordHashComputations() });
  if (message.type === 'reset-cpu') cpuFrom = { usage: process.cpuUsage(), requests: requestsAnswered };
  if (message.type === 'report-cpu') {
    const used = process.cpuUsage(cpuFrom.usage);
    const answered = Math.max(1, requestsAnswered - cpuFrom.requests);
    send({
      type: 'cpu',
      microsecondsPerRequest: (used.user + used.system) / answered,
      user: used.user / answered,
      kernel: used.system / answered,
    });
  }
  if (message.type === 'argon2') void hashFor(message.seconds, message.concurrency).then((rate) => send({ type: 'argon2', rate }));
});

if (mode === 'argon2') send({ type: 'ready' });
else void listen().then((port) => send({ type: 'ready', port }));
