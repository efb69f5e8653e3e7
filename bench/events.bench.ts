/**
 * Sign-in events benchmark: `npm run bench:events [-- --rows N]` (default 10,000,000).
 *
 * 1. Fills `sign_in_events` of a fresh SQLite data directory (or, with
 *    DATABASE_URL set, a fresh PostgreSQL database on that server) with N
 *    events over 1,000 accounts of 1,000 users each, spread over 90 days, in
 *    one insert-select inside the database (not measured beyond its time).
 * 2. Measures what an admin's read costs: one user's events, newest first, a
 *    page of 100 (`GET /api/v2/security/sign_in_events?user_id=…`, through the
 *    same repository function), for 200 users picked at random; and the
 *    account's whole page of 100 newest events.
 * 3. Baseline, same run: the lookup of one event by its primary key.
 *
 * Prints the p50 and p95 of each in milliseconds, and their ratio to the baseline's.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listSignInEvents } from '../src/platform/sign-in-events/sign-in-events.repo.js';
import { numericArgument } from './bench-population.js';

const rows = numericArgument('rows', 10_000_000);
const ACCOUNTS = 1_000;
const USERS_PER_ACCOUNT = 1_000;
const SAMPLES = 200;
const databaseUrl = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;
const START = Date.parse('2026-09-01T00:00:00Z');
const SPAN_MS = 90 * 86_400_000;

async function fill(handle: DatabaseHandle): Promise<void> {
  // Row i: account i mod 1000, user (i / 1000) mod 1000 of it, at a time spread evenly over 90 days.
  const columns = sql`(id, account_id, occurred_at, last_at, attempts, user_id, channel, outcome, reason, ip, user_agent, identifier, credential_id)`;
  if (handle.capabilities.kind === 'postgres') {
    await sql`insert into sign_in_events ${columns}
      select i, i % ${ACCOUNTS}, to_char(to_timestamp((${START}::float8 + i * ${SPAN_MS / rows}::float8) / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        to_char(to_timestamp((${START}::float8 + i * ${SPAN_MS / rows}::float8) / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        1, (i / ${ACCOUNTS}) % ${USERS_PER_ACCOUNT}, 'web', case when i % 10 = 0 then 'failed' else 'succeeded' end,
        null, '198.51.100.' || (i % 250), 'bench', null, null
      from generate_series(1, ${rows}) as i`.execute(handle.db);
  } else {
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${rows})
      insert into sign_in_events ${columns}
      select i, i % ${ACCOUNTS}, strftime('%Y-%m-%dT%H:%M:%fZ', (${START} + i * ${SPAN_MS / rows}) / 1000.0, 'unixepoch'),
        strftime('%Y-%m-%dT%H:%M:%fZ', (${START} + i * ${SPAN_MS / rows}) / 1000.0, 'unixepoch'),
        1, (i / ${ACCOUNTS}) % ${USERS_PER_ACCOUNT}, 'web', case when i % 10 = 0 then 'failed' else 'succeeded' end,
        null, '198.51.100.' || (i % 250), 'bench', null, null
      from n`.execute(handle.db);
    await sql`analyze`.execute(handle.db);
  }
  if (handle.capabilities.kind === 'postgres') await sql`analyze sign_in_events`.execute(handle.db);
}

async function timed(times: number, work: (index: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const durations: number[] = [];
  for (let index = 0; index < times; index += 1) {
    const started = performance.now();
    await work(index);
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const at = (share: number): number => durations[Math.min(durations.length - 1, Math.floor(share * durations.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95) };
}

async function postgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `riposte_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(databaseUrl ?? '');
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-events-'));
  const postgres = databaseUrl === undefined ? undefined : await postgresDatabase();
  const handle = openDatabase({ databaseUrl: postgres?.url, dataDir });
  try {
    await migrateToLatest(handle.db);
    console.log(`bench:events on ${handle.capabilities.kind}, ${rows.toLocaleString('en-US')} events, ${os.cpus().length} CPUs`);
    const started = performance.now();
    await fill(handle);
    console.log(`filled in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

    const random = (n: number): number => crypto.randomInt(n);
    const baseline = await timed(SAMPLES, () =>
      handle.db
        .selectFrom('sign_in_events')
        .selectAll()
        .where('id', '=', 1 + random(rows))
        .executeTakeFirst(),
    );
    const oneUser = await timed(SAMPLES, () =>
      listSignInEvents(handle.db, { accountId: random(ACCOUNTS), userId: random(USERS_PER_ACCOUNT), limit: 101 }),
    );
    const oneAccount = await timed(SAMPLES, () => listSignInEvents(handle.db, { accountId: random(ACCOUNTS), limit: 101 }));
    const failures = await timed(SAMPLES, () =>
      listSignInEvents(handle.db, { accountId: random(ACCOUNTS), userId: random(USERS_PER_ACCOUNT), outcome: 'failed', limit: 101 }),
    );

    const line = (label: string, figures: { p50: number; p95: number }) =>
      console.log(
        `${label.padEnd(48)} p50 ${figures.p50.toFixed(2).padStart(7)} ms   p95 ${figures.p95.toFixed(2).padStart(7)} ms   ratio to the key lookup ${(figures.p50 / baseline.p50).toFixed(1)} (p50)`,
      );
    line('baseline: one event by primary key', baseline);
    line("one user's events, newest first (page of 100)", oneUser);
    line("one user's failures only", failures);
    line("one account's newest events (page of 100)", oneAccount);
  } finally {
    await handle.close();
    await postgres?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
