import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** Streams CSV lines as a download named `filename`; nothing is buffered beyond one batch. */
export function sendCsv(reply: FastifyReply, filename: string, lines: AsyncIterable<string>): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(lines));
}
