import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, logsAt, RequestLogger } from './logging.js';

/** A root logger at `level` whose lines land in `lines`, counting the children made from it. */
function rootLogger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const root = pino(loggerOptions(level), stream);
  let children = 0;
  const child = root.child.bind(root);
  root.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof root.child;
  return { root, lines, children: () => children };
}

describe('a request logger', () => {
  it('makes no child until a line is written, then writes through one child with the bindings', () => {
    const { root, lines, children } = rootLogger('info');
    const log = new RequestLogger(root, { reqId: 'req-0001' }, {});
    log.debug('below the level');
    expect(children()).toBe(0);
    log.info({ body: { password: 'secret-value' }, step: 1 }, 'first');
    log.warn('second');
    expect(children()).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'req-0001', step: 1, body: { password: '[redacted]' }, msg: 'first', level: 30 }),
      expect.objectContaining({ reqId: 'req-0001', msg: 'second', level: 40 }),
    ]);
  });

  it("keeps its route's level, and follows a level set on it", () => {
    const { root, lines } = rootLogger('info');
    const quiet = new RequestLogger(root, { reqId: 'req-0002' }, { level: 'warn' });
    expect(quiet.level).toBe('warn');
    expect(logsAt(quiet, 'info')).toBe(false);
    quiet.info('not written');
    quiet.error('written');
    quiet.level = 'debug';
    quiet.debug('now written');
    expect(lines.map((line) => line.msg)).toEqual(['written', 'now written']);
  });

  it('writes nothing and makes no child when the root is silent', () => {
    const { root, lines, children } = rootLogger('silent');
    const log = new RequestLogger(root, { reqId: 'req-0003' }, {});
    for (const method of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) log[method]('nothing');
    expect(lines).toEqual([]);
    expect(children()).toBe(0);
    expect(log.child({ job: 'x' }).level).toBe('silent');
  });
});
