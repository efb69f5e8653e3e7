import Fastify from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { closedObject, nullable, wire, wireType, type FromSchema } from './wire-schema.js';

const task = closedObject(
  {
    id: wire.integer,
    owner: wire.nullableString,
    state: { type: 'string', enum: ['open', 'done'] },
    tags: wire.strings,
    window: nullable(closedObject({ starts_at: wire.string })),
    counts: wire.counts,
    note: wire.string,
  },
  ['note'],
);

describe('wire schemas', () => {
  it('derive the type of what they describe', () => {
    type Task = FromSchema<typeof task>;
    expectTypeOf<Task>().toEqualTypeOf<{
      id: number;
      owner: string | null;
      state: 'open' | 'done';
      tags: string[];
      window: { starts_at: string } | null;
      counts: Record<string, number>;
      note?: string;
    }>();
    expectTypeOf<FromSchema<ReturnType<ReturnType<typeof wireType<{ all: unknown[] }>>>>>().toEqualTypeOf<{ all: unknown[] }>();
  });

  it('send only what they declare, and refuse an answer missing a required field', async () => {
    const app = Fastify();
    app.get('/full', { schema: { response: { 200: task } } }, (_request, reply) => {
      void reply.send({
        id: 1,
        owner: null,
        state: 'open',
        tags: ['a'],
        window: null,
        counts: { agent: 2 },
        secret: 'never sent',
      });
    });
    app.get('/partial', { schema: { response: { 200: task } } }, (_request, reply) => {
      void reply.send({ id: 1 });
    });
    const full = await app.inject('/full');
    expect(full.json()).toEqual({ id: 1, owner: null, state: 'open', tags: ['a'], window: null, counts: { agent: 2 } });
    expect((await app.inject('/partial')).statusCode).toBe(500);
    await app.close();
  });
});
