import pg from 'pg';

/**
 * Checks PostgreSQL once for the whole run. Under CI=true an unreachable
 * PostgreSQL fails the run; elsewhere its suites are skipped with a warning.
 */
export default async function setup(): Promise<void> {
  const url = process.env.RIPOSTE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    process.env.RIPOSTE_TEST_POSTGRES = 'available';
  } catch (error) {
    if (process.env.CI === 'true')
      throw new Error(`PostgreSQL is required under CI=true and is unreachable at ${url}: ${String(error)}`, { cause: error });
    process.env.RIPOSTE_TEST_POSTGRES = 'unavailable';
    console.warn(`\n!! PostgreSQL unreachable at ${url}; PostgreSQL suites are skipped (they fail under CI=true).\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
  process.env.RIPOSTE_TEST_DATABASE_URL = url;
}
