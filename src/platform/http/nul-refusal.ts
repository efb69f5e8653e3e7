import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';

type Located = { where: string; value: unknown };

/** A parsed JSON object or query string (whose prototype may be neither Object's nor null); not a Buffer. */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);

/**
 * Where the first NUL character is in a parsed request part (a string, or a
 * key or string anywhere inside objects and arrays), as a dotted field path;
 * undefined when there is none. Iterative, so a body nested thousands deep
 * cannot exhaust the stack.
 */
export function findNul(part: string, value: unknown): string | undefined {
  // Most requests' parts are empty or absent: answered without the walk's allocations.
  if (typeof value === 'string') return value.includes('\u0000') ? part : undefined;
  if (!isRecord(value) || Object.keys(value).length === 0) return undefined;
  const pending: Located[] = [{ where: part, value }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { where, value: current } = next;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return where;
    } else if (Array.isArray(current)) {
      current.forEach((item: unknown, index) => pending.push({ where: `${where}.${index}`, value: item }));
    } else if (isRecord(current)) {
      for (const [key, item] of Object.entries(current)) {
        if (key.includes('\u0000')) return `${where}.${JSON.stringify(key)}`;
        pending.push({ where: `${where}.${key}`, value: item });
      }
    }
  }
  return undefined;
}

/**
 * Refuses, with a 400 naming the field, any request whose body, query string
 * or path parameters hold a NUL character. No field of ours means anything
 * by one, and PostgreSQL refuses it in text: let through, it turned a login,
 * a token description or an audit-log filter into a 500 (or an export cut
 * off mid-stream) on PostgreSQL and into stored garbage on SQLite. One hook,
 * before validation, for every route.
 *
 * @example
 * installNulRefusal(app); // at the root, before the routes
 */
export function installNulRefusal(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const field = findNul('params', request.params) ?? findNul('query', request.query) ?? findNul('body', request.body);
    if (field === undefined) return done();
    const name = field.replace(/^body\./, '');
    done(
      new AppError('InvalidParameters', `The request's ${name} contains a NUL character (\\u0000); remove it and send the request again.`, {
        details: { [name]: ['must not contain NUL characters'] },
      }),
    );
  });
}
