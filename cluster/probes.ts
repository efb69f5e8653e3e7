/** Small HTTP and TCP probes, and polling until a condition holds. */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET on loopback; a refused or timed-out connection is `status: 0`, never a throw. */
export function httpGet(port: number, path: string, timeoutMs = 2_000): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      response.on('error', () => resolve({ status: 0, body: '' }));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve({ status: 0, body: '' }));
  });
}

export async function httpGetJson<T>(port: number, path: string, timeoutMs = 2_000): Promise<T | undefined> {
  const answer = await httpGet(port, path, timeoutMs);
  if (answer.status === 0) return undefined;
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    return undefined;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (answers: boolean): void => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than
 * undefined or false, and resolves with it; rejects naming `what` after
 * `timeoutMs`, with the last `describe()` if given.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const detail = options.describe?.();
      throw new Error(`Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${detail ? `: ${detail}` : ''}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
