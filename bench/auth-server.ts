/**
 * The server side of `npm run bench:auth`, run in its own process so the
 * load generator does not share its event loop. Modes:
 *   hello    a bare Fastify hello world (the baseline)
 *   riposte  the real application over the bench's data directory
 *   argon2   no server: hashes with Riposte's argon2id parameters, as fast as the thread pool allows
 * Replies to the parent over IPC: its port, then event-loop delay on request.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify from 'fastify';
import { buildApp } from '../src/app.js';
import { openRuntime } from '../src/main.js';
import { hashPassword } from '../src/modules/auth/passwords/password-hashing.js';

type Message = { type: 'reset-delay' } | { type: 'report-delay' } | { type: 'argon2'; seconds: number; concurrency: number };

const mode = process.argv[2];
const dataDir = process.argv[3] ?? './data';
const send = (message: unknown): void => {
  process.send?.(message);
};

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

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
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as { port: number }).port;
  }
  // One load generator on one address: lift the per-address flood guard.
  const runtime = await openRuntime({ dataDir, logLevel: 'silent', port: '0', passwordRateLimit: String(1e9) });
  const app = await buildApp(runtime);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

process.on('message', (message: Message) => {
  if (message.type === 'reset-delay') delay.reset();
  if (message.type === 'report-delay')
    send({ type: 'delay', p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
  if (message.type === 'argon2') void hashFor(message.seconds, message.concurrency).then((rate) => send({ type: 'argon2', rate }));
});

if (mode === 'argon2') send({ type: 'ready' });
else void listen().then((port) => send({ type: 'ready', port }));
