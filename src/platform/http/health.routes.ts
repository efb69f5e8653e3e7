import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' }, database: { type: 'string' } },
  required: ['status'],
} as const;

/**
 * Liveness (the process answers) and readiness: the database answers and, on
 * PostgreSQL, is a primary (during a failover, or connected to a standby, the
 * process is not ready: a load balancer sends its traffic elsewhere).
 */
export function healthRoutes(db: Db, kind: 'sqlite' | 'postgres' = 'sqlite') {
  return (app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void => {
    app.get(
      '/healthz',
      { logLevel: 'warn', schema: { tags: ['operations'], summary: 'Liveness', response: { 200: statusSchema } } },
      () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      {
        logLevel: 'warn',
        schema: { tags: ['operations'], summary: 'Readiness: the database answers', response: { 200: statusSchema, 503: statusSchema } },
      },
      async (_request, reply) => {
        try {
          if (kind === 'postgres') {
            const { rows } = await sql<{ standby: boolean }>`select pg_is_in_recovery() as standby`.execute(db);
            if (rows[0]?.standby !== false) return await reply.status(503).send({ status: 'not ready', database: 'standby' });
          } else {
            await sql`select 1`.execute(db);
          }
          return { status: 'ready', database: 'ok' };
        } catch {
          return reply.status(503).send({ status: 'not ready', database: 'unreachable' });
        }
      },
    );
    done();
  };
}
