/**
 * Authentication benchmark: `npm run bench:auth [-- --seconds 10]`.
 *
 * Each figure is printed next to a baseline measured in the same run on the
 * same machine, as a ratio:
 * 1. API-token requests a second (`GET /api/v2/users/me`, `email/token:TOKEN`)
 *    against a bare Fastify hello world, measured one after the other, then
 *    again with both loaded in turn (with the server's CPU time per request
 *    against the hello world's), then their latency (p50, p95, p99) at a
 *    fixed load of half that peak; then requests with a deleted token, sent
 *    again and again as an integration does after a revocation, refused
 *    (401), against the hello world again;
 *    `--only api-token` stops there;
 * 2. password sign-ins a second (`POST /access/sign_in`) against raw argon2id
 *    hashes a second with the same parameters, in a process of its own with as
 *    many hashes in flight as the thread pool has threads, measured before and
 *    after the sign-ins and averaged;
 *    The same sign-ins are then measured with sign-in events not recorded
 *    (`riposte-no-events`): recording them on, against off, is their cost;
 * 3. the server's event-loop delay (p50, p99, max) during the sign-in storm:
 *    hashing runs on the thread pool, so the loop keeps answering;
 * 4. web sign-ins a second on one account while an attacker floods
 *    `email:password` Basic auth with wrong passwords on a second account,
 *    against the same sign-ins without the flood (measured before and after
 *    it, averaged). The server runs with its defaults (30 password checks per
 *    address and minute) behind a trusted proxy at 127.0.0.1: the legitimate
 *    sign-ins come through it, each from its own X-Forwarded-For address, as
 *    many users behind a load balancer would; the flood connects from
 *    127.0.0.2, an address of its own that is not the proxy (its
 *    X-Forwarded-For is ignored), in a process of its own. Then the flood
 *    again, from 127.0.0.3, against a server that answers refusals at once
 *    (RIPOSTE_PASSWORD_REFUSAL_DELAY_MS=0), against the same baseline.
 * Servers run in child processes; the load comes from autocannon here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { prepareAuthBench, type AuthBenchPopulation } from './auth-fixture.js';

const secondsArgument = process.argv.indexOf('--seconds');
const SECONDS = secondsArgument < 0 ? 10 : Number(process.argv[secondsArgument + 1]);
const onlyArgument = process.argv.indexOf('--only');
const ONLY_API_TOKEN = onlyArgument >= 0 && process.argv[onlyArgument + 1] === 'api-token';
const THREADPOOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const HOST = 'acme.localhost';

interface Child {
  process: ChildProcess;
  port: number;
  request<T>(message: object, reply: string): Promise<T>;
}

async function startChild(mode: string, dataDir: string, script = 'auth-server.ts', args: string[] = [mode, dataDir]): Promise<Child> {
  const child = fork(path.join(import.meta.dirname, script), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  return {
    process: child,
    port: ready.port,
    request: async <T>(message: object, reply: string): Promise<T> => {
      child.send(message);
      for (;;) {
        const [answer] = (await once(child, 'message')) as [{ type: string } & T];
        if (answer.type === reply) return answer;
      }
    },
  };
}

async function stop(child: Child): Promise<void> {
  child.process.kill('SIGTERM');
  await once(child.process, 'exit');
}

async function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ duration: SECONDS, connections: 32, pipelining: 1, ...options });
}

async function argon2RateNow(): Promise<number> {
  const child = await startChild('argon2', '');
  const { rate } = await child.request<{ rate: number }>({ type: 'argon2', seconds: SECONDS, concurrency: THREADPOOL }, 'argon2');
  await stop(child);
  return rate;
}

const perSecond = (result: autocannon.Result): number => result.requests.average;

/** A server's CPU time per request answered, µs: in all, and the medians of its user and kernel parts. */
interface CpuPerRequest {
  microsecondsPerRequest: number;
  user: number;
  kernel: number;
}

const cpuText = (cpu: CpuPerRequest): string =>
  `${cpu.microsecondsPerRequest.toFixed(1)} µs (user ${cpu.user.toFixed(1)}, kernel ${cpu.kernel.toFixed(1)})`;

/**
 * Requests a second and the server's CPU time (its process, every thread; in
 * all, in user space and in the kernel) per request answered, Riposte's
 * against the hello world's: both servers up side by side, loaded in turn for
 * two seconds at a time, six rounds each, and the medians compared. Whatever
 * else the machine runs then weighs on both alike, which requests a second,
 * measured one server after the other, cannot promise.
 */
async function loadedInTurn(servers: Array<{ server: Child; request: autocannon.Options }>) {
  const rounds = 6;
  const cpu: CpuPerRequest[][] = servers.map(() => []);
  const rates: number[][] = servers.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, { server, request }] of servers.entries()) {
      server.process.send({ type: 'reset-cpu' });
      const result = await load({ ...request, duration: 2 });
      rates[index]!.push(perSecond(result));
      cpu[index]!.push(await server.request<CpuPerRequest>({ type: 'report-cpu' }, 'cpu'));
    }
  }
  const median = (each: number[]): number => each.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
  const medianCpu = (each: CpuPerRequest[]): CpuPerRequest => ({
    microsecondsPerRequest: median(each.map((slice) => slice.microsecondsPerRequest)),
    user: median(each.map((slice) => slice.user)),
    kernel: median(each.map((slice) => slice.kernel)),
  });
  return { cpu: cpu.map(medianCpu), rates: rates.map(median) };
}

/** Latency percentiles (ms) of requests sent at a fixed overall rate, from every response's own time. */
async function latencyAtRate(options: autocannon.Options, rate: number) {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ duration: SECONDS, connections: 32, pipelining: 1, ...options, overallRate: rate }, (error, done) =>
      error === null || error === undefined ? resolve(done) : reject(error instanceof Error ? error : new Error(String(error))),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
  return { rate: result.requests.average, p50: at(0.5), p95: at(0.95), p99: at(0.99), failed: result.non2xx + result.errors };
}
/** Successful answers a second: a refused sign-in is no sign-in. */
const succeededPerSecond = (result: autocannon.Result): number => result['2xx'] / result.duration;

interface FloodReport {
  seconds: number;
  statuses: Record<string, number>;
}

/** Legitimate sign-ins on acme, each from a new client address behind the trusted proxy. */
async function proxiedSignIns(port: number, signInBody: string, firstClient: number): Promise<autocannon.Result> {
  let client = firstClient;
  const nextAddress = (): string => {
    client += 1;
    return `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}`;
  };
  return load({
    url: `http://127.0.0.1:${port}/access/sign_in`,
    connections: THREADPOOL * 2,
    requests: [
      {
        method: 'POST',
        headers: { host: HOST, 'content-type': 'application/json' },
        body: signInBody,
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-forwarded-for': nextAddress() } }),
      },
    ],
  });
}

/** Legitimate sign-ins while a flood comes from `source`: the sign-ins, the flood's report and the hashes computed meanwhile. */
async function floodedSignIns(server: Child, population: AuthBenchPopulation, source: string, firstClient: number) {
  const hashesBefore = (await server.request<{ computed: number }>({ type: 'report-hashes' }, 'hashes')).computed;
  const floodArguments = [String(server.port), population.floodHost, population.floodEmail, '32', source];
  const flood = await startChild('flood', '', 'auth-flood.ts', floodArguments);
  const signIns = await proxiedSignIns(server.port, population.signInBody, firstClient);
  const report = await flood.request<FloodReport>({ type: 'stop' }, 'flood');
  await once(flood.process, 'exit');
  const hashesDuring = (await server.request<{ computed: number }>({ type: 'report-hashes' }, 'hashes')).computed - hashesBefore;
  return { signIns, report, hashesDuring };
}

/** Figure 4: sign-ins during an `email:password` flood from another address, against the same without it. */
async function signInsUnderFlood(dataDir: string, population: AuthBenchPopulation) {
  const server = await startChild('riposte-proxied', dataDir);
  const calmBefore = await proxiedSignIns(server.port, population.signInBody, 0);
  const flooded = await floodedSignIns(server, population, '127.0.0.2', 1_000_000);
  const calmAfter = await proxiedSignIns(server.port, population.signInBody, 2_000_000);
  await stop(server);
  const eager = await startChild('riposte-proxied', dataDir, 'auth-server.ts', ['riposte-proxied', dataDir, '0']);
  const floodedEager = await floodedSignIns(eager, population, '127.0.0.3', 3_000_000);
  await stop(eager);
  return { calm: (succeededPerSecond(calmBefore) + succeededPerSecond(calmAfter)) / 2, flooded, floodedEager };
}

function printFlood(label: string, calm: number, run: Awaited<ReturnType<typeof floodedSignIns>>): void {
  const { signIns, report, hashesDuring } = run;
  const answers = Object.values(report.statuses).reduce((sum, n) => sum + n, 0);
  const rate = succeededPerSecond(signIns);
  console.log(`${label.padEnd(42)} ${fmt(rate).padStart(8)}    ${fmt(calm).padStart(8)} (same, no flood)   ${ratio(rate, calm)}`);
  console.log(
    `    the flood: ${fmt(answers / report.seconds)} req/s, answers ${JSON.stringify(report.statuses)}; ` +
      `hashes computed meanwhile ${fmt(hashesDuring)}, for ${fmt(signIns['2xx'])} sign-ins; sign-ins refused ${signIns.non2xx}`,
  );
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number): string => (a / b).toFixed(2);

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-auth-'));
  const population = await prepareAuthBench(dataDir);
  const { token, deletedToken, signInBody } = population;
  console.log(`bench:auth on ${os.cpus().length} CPUs, ${SECONDS}s per measurement, 32 connections; thread pool ${THREADPOOL}\n`);

  const hello = await startChild('hello', dataDir);
  const helloRequest = { url: `http://127.0.0.1:${hello.port}/hello` };
  const helloResult = await load(helloRequest);

  const riposte = await startChild('riposte', dataDir);
  const authorization = `Basic ${Buffer.from(`ada@acme.test/token:${token}`).toString('base64')}`;
  const tokenRequest = { url: `http://127.0.0.1:${riposte.port}/api/v2/users/me.json`, headers: { host: HOST, authorization } };
  const tokenResult = await load(tokenRequest);
  if (tokenResult.non2xx > 0) throw new Error(`API-token requests failed: ${tokenResult.non2xx} non-2xx answers`);
  const inTurn = await loadedInTurn([
    { server: riposte, request: tokenRequest },
    { server: hello, request: helloRequest },
  ]);
  const [tokenCpu, helloCpu] = inTurn.cpu;
  const [tokenRateInTurn, helloRateInTurn] = inTurn.rates;
  const deletedAuthorization = `Basic ${Buffer.from(`ada@acme.test/token:${deletedToken}`).toString('base64')}`;
  const refusedResult = await load({ ...tokenRequest, headers: { host: HOST, authorization: deletedAuthorization } });
  if (refusedResult['2xx'] > 0) throw new Error(`a deleted API token was accepted ${refusedResult['2xx']} times`);
  const helloAgain = await load(helloRequest);
  await stop(hello);
  const halfPeak = Math.round(perSecond(tokenResult) / 2);
  const tokenLatency = await latencyAtRate(tokenRequest, halfPeak);
  const printTokens = (): void => {
    console.log('measure                                   rate/s      baseline/s   ratio');
    console.log(
      `API-token GET /api/v2/users/me           ${fmt(perSecond(tokenResult)).padStart(8)}    ${fmt(perSecond(helloResult)).padStart(8)} (Fastify hello world)   ${ratio(perSecond(tokenResult), perSecond(helloResult))}`,
    );
    console.log(
      `  both servers loaded in turn, 2 s at a time, medians of 6: ${fmt(tokenRateInTurn!)} vs ${fmt(helloRateInTurn!)} req/s: ` +
        `${ratio(tokenRateInTurn!, helloRateInTurn!)}; server CPU per request ${cpuText(tokenCpu!)} vs ${cpuText(helloCpu!)}: ` +
        `${ratio(helloCpu!.microsecondsPerRequest, tokenCpu!.microsecondsPerRequest)}`,
    );
    console.log(
      `  at half that peak (${fmt(halfPeak)} req/s asked, ${fmt(tokenLatency.rate)} served): latency p50 ${tokenLatency.p50.toFixed(1)} ms, ` +
        `p95 ${tokenLatency.p95.toFixed(1)} ms, p99 ${tokenLatency.p99.toFixed(1)} ms; ${tokenLatency.failed} failed`,
    );
    console.log(
      `API-token refused, a deleted token      ${fmt(perSecond(refusedResult)).padStart(8)}    ${fmt(perSecond(helloAgain)).padStart(8)} (Fastify hello world)   ${ratio(perSecond(refusedResult), perSecond(helloAgain))}`,
    );
  };
  if (ONLY_API_TOKEN) {
    await stop(riposte);
    printTokens();
    fs.rmSync(dataDir, { recursive: true, force: true });
    return;
  }

  // The hashing baseline is taken before and after the sign-in storm and averaged, so drift on a shared machine weighs on both sides.
  const argon2Before = await argon2RateNow();

  riposte.process.send({ type: 'reset-delay' });
  const signInResult = await load({
    url: `http://127.0.0.1:${riposte.port}/access/sign_in`,
    method: 'POST',
    headers: { host: HOST, 'content-type': 'application/json' },
    body: signInBody,
    connections: THREADPOOL * 2,
  });
  if (signInResult.non2xx > 0) throw new Error(`sign-ins failed: ${signInResult.non2xx} non-2xx answers`);
  const delay = await riposte.request<{ p50: number; p99: number; max: number }>({ type: 'report-delay' }, 'delay');
  await stop(riposte);
  const silent = await startChild('riposte-no-events', dataDir);
  const signInSilent = await load({
    url: `http://127.0.0.1:${silent.port}/access/sign_in`,
    method: 'POST',
    headers: { host: HOST, 'content-type': 'application/json' },
    body: signInBody,
    connections: THREADPOOL * 2,
  });
  await stop(silent);
  const argon2Rate = (argon2Before + (await argon2RateNow())) / 2;
  const underFlood = await signInsUnderFlood(dataDir, population);

  printTokens();
  console.log(
    `password sign-in POST /access/sign_in    ${fmt(perSecond(signInResult)).padStart(8)}    ${fmt(argon2Rate).padStart(8)} (raw argon2id m=19456,t=2,p=1)   ${ratio(perSecond(signInResult), argon2Rate)}`,
  );
  console.log(
    `  the same, sign-in events on vs off      ${fmt(perSecond(signInResult)).padStart(8)}    ${fmt(perSecond(signInSilent)).padStart(8)} (events not recorded)   ${ratio(perSecond(signInResult), perSecond(signInSilent))}`,
  );
  console.log(
    `event-loop delay during the sign-in storm: p50 ${delay.p50.toFixed(1)} ms, p99 ${delay.p99.toFixed(1)} ms, max ${delay.max.toFixed(1)} ms`,
  );
  printFlood('web sign-ins, email:password flood on beta', underFlood.calm, underFlood.flooded);
  printFlood('  the same, refusals answered at once', underFlood.calm, underFlood.floodedEager);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
