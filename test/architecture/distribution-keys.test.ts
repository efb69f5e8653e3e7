import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { backends, openTestDatabase, type Backend, type TestDatabase } from '../support/databases.js';

// Ready for distribution by account (DESIGN.md, "Database"; README, "Distributing
// by account (Citus)"). Every table holding tenant data carries `account_id`
// and leads its primary key and indexes with it, so that each table can be
// distributed by `account_id` and every per-account query and join stays on
// one shard. This suite reads the migrated schema of each backend and fails on
// a table or key that breaks that, unless it is listed below with its reason.

/** A primary key, unique key (constraint or unique index) or plain index; `columns` in key order. */
interface TableKey {
  kind: 'primary key' | 'unique' | 'index';
  /** The index's own name where it has one of its own (not backing a constraint). */
  name: string | undefined;
  columns: string[];
}

interface ForeignKey {
  columns: string[];
  references: string;
  referencedColumns: string[];
}

interface TableShape {
  name: string;
  columns: string[];
  keys: TableKey[];
  foreignKeys: ForeignKey[];
}

interface DistributionPolicy {
  /**
   * Tables that hold no one account's data. `reference`: a Citus reference
   * table, copied to every node, which per-account queries read or join.
   * `coordinator`: stays a plain table on the coordinator (counters, id
   * blocks, queues, the platform's own bookkeeping), joined with no per-account table.
   */
  notPerAccount: Readonly<Record<string, { placement: 'reference' | 'coordinator'; reason: string }>>;
  /**
   * Keys of per-account tables that do not lead with `account_id` on purpose:
   * they serve a query across accounts (a queue, retention, an incident's
   * fan-out). Distributed, each shard keeps its own part of the index and such
   * a query asks every shard. A unique one must still include `account_id`.
   */
  crossAccountKeys: ReadonlyArray<{ table: string; columns: readonly string[]; reason: string }>;
  /**
   * Unique keys of per-account tables without `account_id`: Citus checks
   * uniqueness within a shard only, so it refuses them on a table distributed
   * by `account_id`. Each must change (`change`) before the schema is distributed.
   */
  globalUniqueKeys: ReadonlyArray<{ table: string; columns: readonly string[]; reason: string; change: string }>;
}

const POLICY: DistributionPolicy = {
  notPerAccount: {
    accounts: {
      placement: 'reference',
      reason:
        'the tenants themselves (`id` is the account id): every request resolves its host here, subdomains and host mappings are unique across accounts, and per-account queries join it',
    },
    incidents: { placement: 'reference', reason: "the vendor's incidents, across accounts" },
    incident_events: { placement: 'reference', reason: "an incident's timeline, written by operators" },
    incident_tasks: { placement: 'reference', reason: "an incident's checklist, written by operators" },
    incident_exposures: { placement: 'reference', reason: 'what an incident exposed, naming any number of accounts' },
    scope_versions: { placement: 'reference', reason: "the versions of an incident's scope; `scope_accounts` holds each account's part" },
    rotation_campaigns: {
      placement: 'reference',
      reason: 'a campaign spans the accounts of its selector; the customer view and notices join it with `campaign_targets`',
    },
    advisories: { placement: 'reference', reason: "the vendor's public advisories, one per incident" },
    advisory_translations: { placement: 'reference', reason: "an advisory's text per language" },
    advisory_revisions: { placement: 'reference', reason: "an advisory's published revisions" },
    advisory_updates: { placement: 'reference', reason: "an advisory's updates" },
    advisory_update_bodies: { placement: 'reference', reason: "an update's text per language" },
    staff_users: { placement: 'coordinator', reason: "the vendor's operators, who belong to no account" },
    staff_sessions: { placement: 'coordinator', reason: "operators' sessions on the operator host" },
    id_sequences: {
      placement: 'coordinator',
      reason: 'one row per id series (`reserveIds`), handing out blocks of ids unique across accounts',
    },
    identity_changes: {
      placement: 'coordinator',
      reason: 'one counter row every process polls to drop its identity caches, moved by triggers',
    },
    certificate_changes: { placement: 'coordinator', reason: 'one counter row every HTTPS process polls to reload what it serves' },
    rate_limit_windows: {
      placement: 'coordinator',
      reason: 'request rate-limit windows keyed by route and client, counted across processes before any account is known',
    },
    local_jobs: { placement: 'coordinator', reason: "the embedded (SQLite) job runner's queue; PostgreSQL uses pg-boss's own schema" },
    kysely_migration: { placement: 'coordinator', reason: "the migrator's record of applied migrations" },
    kysely_migration_lock: { placement: 'coordinator', reason: "the migrator's lock" },
  },
  crossAccountKeys: [
    {
      table: 'campaign_targets',
      columns: ['campaign_id', 'account_id', 'user_id'],
      reason: "a campaign's frozen target set spans accounts; includes account_id, so it stays unique per shard",
    },
    {
      table: 'campaign_targets',
      columns: ['campaign_id', 'batch'],
      reason: "a campaign batch's targets, across the accounts the batch covers (flagBatchCredentials, markBatchFlagged)",
    },
    {
      table: 'scope_accounts',
      columns: ['incident_id', 'version', 'account_id'],
      reason: "an incident's scope snapshot, one row per account in scope; includes account_id",
    },
    { table: 'messages', columns: ['state', 'next_attempt_at'], reason: "the courier's queue: due messages of every account" },
    {
      table: 'messages',
      columns: ['incident_id', 'account_id', 'state'],
      reason: "an incident's notices across accounts: the notification report and requeue",
    },
    { table: 'messages', columns: ['created_at'], reason: 'retention drops message bodies by age across accounts' },
    {
      table: 'webhook_deliveries',
      columns: ['state', 'next_attempt_at'],
      reason: 'webhook delivery queue: due deliveries of every account',
    },
    {
      table: 'security_events',
      columns: ['dispatched_at', 'occurred_at'],
      reason: 'events not yet fanned out to webhook subscriptions, of every account; retention of settled ones',
    },
    { table: 'audit_events', columns: ['occurred_at'], reason: 'retention purges audit events by age across accounts' },
    { table: 'sessions', columns: ['expires_at'], reason: 'retention removes ended sessions across accounts' },
    { table: 'sessions', columns: ['revoked_at'], reason: 'retention removes revoked sessions across accounts' },
    { table: 'login_throttles', columns: ['last_failure_at'], reason: 'retention removes idle throttles across accounts' },
    { table: 'sign_in_events', columns: ['occurred_at'], reason: 'retention deletes and truncates sign-in events by age across accounts' },
    {
      table: 'exposed_password_attempts',
      columns: ['occurred_at'],
      reason: 'retention deletes exposed-password attempts by age across accounts',
    },
    {
      table: 'certificates',
      columns: ['uploaded_at'],
      reason: 'the exposure inventory lists certificates uploaded before an instant across accounts',
    },
    {
      table: 'data_keys',
      columns: ['kek_version'],
      reason: 'the re-wrap job finds data keys under an old key-encryption key, in every account',
    },
  ],
  globalUniqueKeys: [
    {
      table: 'api_tokens',
      columns: ['token_hash'],
      reason: 'an API token names its own account where the host names none: it is looked up by its hash alone',
      change: 'unique (account_id, token_hash) and a plain index on token_hash (the lookup then asks every shard)',
    },
    {
      table: 'oauth_tokens',
      columns: ['token_hash'],
      reason: 'an OAuth access token names its own account: it is looked up by its hash alone',
      change: 'unique (account_id, token_hash) and a plain index on token_hash',
    },
    {
      table: 'oauth_tokens',
      columns: ['refresh_token_hash'],
      reason: 'a refresh token is looked up by its hash alone',
      change: 'unique (account_id, refresh_token_hash) and a plain index on refresh_token_hash, or look it up with the account',
    },
    {
      table: 'sessions',
      columns: ['token_hash'],
      reason: 'a session cookie is looked up by its hash alone, then checked against the host',
      change: 'unique (account_id, token_hash), looked up with the account the host names',
    },
    {
      table: 'password_change_steps',
      columns: ['token_hash'],
      reason: 'a reset or forced-change step is looked up by its hash alone',
      change: 'unique (account_id, token_hash), looked up with the account the host names',
    },
    {
      table: 'security_events',
      columns: ['event_id'],
      reason: 'webhook delivery and retention read and delete events by their event id alone',
      change: 'unique (account_id, event_id), read with the account (webhook_deliveries carries it)',
    },
  ],
};

/** Schemas other than the application's that may exist in its PostgreSQL database. */
const OTHER_SCHEMAS: Readonly<Record<string, string>> = {
  pgboss: "pg-boss's job queue (its own schema, created and migrated by pg-boss): stays on the coordinator",
};

const leadsWithAccount = (key: TableKey) => key.columns[0] === 'account_id';
const sameColumns = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((column, i) => column === b[i]);
const describeKey = (key: TableKey) => `${key.kind}${key.name === undefined ? '' : ` ${key.name}`} (${key.columns.join(', ')})`;
const isUnique = (key: TableKey) => key.kind !== 'index';

/**
 * What stands in the way of distributing the schema by `account_id`, one
 * sentence each (naming the table and what to do); empty when nothing does.
 */
function distributionViolations(tables: readonly TableShape[], policy: DistributionPolicy): string[] {
  const violations: string[] = [];
  const byName = new Map(tables.map((table) => [table.name, table]));
  const perAccount = (table: TableShape) => !(table.name in policy.notPerAccount) && table.columns.includes('account_id');

  for (const table of tables) {
    if (table.name in policy.notPerAccount) {
      const primary = table.keys.find((key) => key.kind === 'primary key');
      if (primary !== undefined && leadsWithAccount(primary))
        violations.push(
          `${table.name}: listed as not per account, but its primary key leads with account_id: distribute it by account_id and take it off the list`,
        );
      continue;
    }
    if (!table.columns.includes('account_id')) {
      violations.push(
        `${table.name}: no account_id column, and not listed as a table that is not per account: add account_id and lead its primary key and indexes with it, or list the table in notPerAccount with why it holds no account's data`,
      );
      continue;
    }
    if (!table.keys.some((key) => key.kind === 'primary key'))
      violations.push(`${table.name}: no primary key: give it one that leads with account_id`);
    for (const key of table.keys) {
      if (leadsWithAccount(key)) continue;
      if (isUnique(key) && !key.columns.includes('account_id')) {
        if (!policy.globalUniqueKeys.some((entry) => entry.table === table.name && sameColumns(entry.columns, key.columns)))
          violations.push(
            `${table.name}: ${describeKey(key)} does not include account_id, so a table distributed by account_id cannot enforce it (uniqueness is checked within a shard): lead it with account_id (globalUniqueKeys lists those still to change before distributing)`,
          );
        continue;
      }
      if (!policy.crossAccountKeys.some((entry) => entry.table === table.name && sameColumns(entry.columns, key.columns)))
        violations.push(
          `${table.name}: ${describeKey(key)} does not lead with account_id: put account_id first, or list it in crossAccountKeys with the query across accounts it serves`,
        );
    }
  }

  for (const table of tables) {
    for (const foreignKey of table.foreignKeys) {
      const target = byName.get(foreignKey.references);
      if (target === undefined || !perAccount(target)) continue;
      const reference = `foreign key (${foreignKey.columns.join(', ')}) to ${target.name} (${foreignKey.referencedColumns.join(', ')})`;
      if (!perAccount(table)) {
        violations.push(
          `${table.name}: a table that is not per account has a ${reference}, a per-account table: a reference table cannot refer to a distributed one`,
        );
        continue;
      }
      const at = foreignKey.columns.indexOf('account_id');
      if (at < 0 || foreignKey.referencedColumns[at] !== 'account_id')
        violations.push(
          `${table.name}: ${reference} does not pair account_id with account_id: tables colocated by account can only refer to each other through it`,
        );
    }
  }

  for (const name of Object.keys(policy.notPerAccount))
    if (!byName.has(name)) violations.push(`${name}: listed in notPerAccount, but no migration creates it: take it off the list`);
  for (const entry of policy.crossAccountKeys) {
    const listed = byName.get(entry.table)?.keys.find((key) => sameColumns(key.columns, entry.columns));
    if (listed === undefined || leadsWithAccount(listed) || (isUnique(listed) && !listed.columns.includes('account_id')))
      violations.push(
        `${entry.table}: crossAccountKeys lists (${entry.columns.join(', ')}), which is no key of the table that fails to lead with account_id: take it off the list`,
      );
  }
  for (const entry of policy.globalUniqueKeys) {
    const listed = byName.get(entry.table)?.keys.find((key) => isUnique(key) && sameColumns(key.columns, entry.columns));
    if (listed === undefined || listed.columns.includes('account_id'))
      violations.push(
        `${entry.table}: globalUniqueKeys lists (${entry.columns.join(', ')}), which is no unique key of the table without account_id: take it off the list`,
      );
  }
  return violations.sort();
}

/** The application's tables on PostgreSQL (the connection's current schema), from the catalogue. */
async function describePostgres(db: Db): Promise<TableShape[]> {
  const tables = await sql<{ table: string; columns: string[] }>`
    select c.relname as table,
      array(select a.attname from pg_attribute a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum)::text[] as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname = current_schema()`.execute(db);
  const indexes = await sql<{ table: string; name: string; primary: boolean; unique: boolean; constraint: boolean; columns: string[] }>`
    select t.relname as table, i.relname as name, x.indisprimary as primary, x.indisunique as unique,
      exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.conrelid = x.indrelid
              and k.contype in ('p', 'u', 'x')) as constraint,
      array(select coalesce(a.attname, '(expression)')
            from unnest(x.indkey) with ordinality as k(attnum, position)
            left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
            where k.position <= x.indnkeyatts order by k.position)::text[] as columns
    from pg_index x
    join pg_class t on t.oid = x.indrelid
    join pg_class i on i.oid = x.indexrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema()`.execute(db);
  const foreignKeys = await sql<{ table: string; references: string; columns: string[]; referenced: string[] }>`
    select t.relname as table, r.relname as references,
      array(select a.attname from unnest(f.conkey) with ordinality as k(attnum, position)
            join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.attnum order by k.position)::text[] as columns,
      array(select a.attname from unnest(f.confkey) with ordinality as k(attnum, position)
            join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.attnum order by k.position)::text[] as referenced
    from pg_constraint f
    join pg_class t on t.oid = f.conrelid
    join pg_class r on r.oid = f.confrelid
    join pg_namespace n on n.oid = t.relnamespace
    where f.contype = 'f' and n.nspname = current_schema()`.execute(db);
  return tables.rows.map(({ table, columns }) => ({
    name: table,
    columns,
    keys: indexes.rows
      .filter((index) => index.table === table)
      .map((index) => ({
        kind: index.primary ? 'primary key' : index.unique ? 'unique' : 'index',
        name: index.constraint ? undefined : index.name,
        columns: index.columns,
      })),
    foreignKeys: foreignKeys.rows
      .filter((key) => key.table === table)
      .map((key) => ({ columns: key.columns, references: key.references, referencedColumns: key.referenced })),
  }));
}

/** The tables of a SQLite database, from its pragmas. */
async function describeSqlite(db: Db): Promise<TableShape[]> {
  const tables = await sql<{ name: string }>`
    select name from sqlite_schema where type = 'table' and substr(name, 1, 7) <> 'sqlite_'`.execute(db);
  const shapes: TableShape[] = [];
  for (const { name } of tables.rows) {
    const columns = (await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${name})`.execute(db)).rows;
    // The primary key from the columns: an INTEGER PRIMARY KEY is the rowid and has no index of its own.
    const primary = columns.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk);
    const keys: TableKey[] = primary.length === 0 ? [] : [{ kind: 'primary key', name: undefined, columns: primary.map((c) => c.name) }];
    const indexes = await sql<{ name: string; unique: number; origin: string }>`
      select name, "unique", origin from pragma_index_list(${name})`.execute(db);
    for (const index of indexes.rows) {
      if (index.origin === 'pk') continue;
      const indexColumns = await sql<{ name: string | null }>`select name from pragma_index_info(${index.name}) order by seqno`.execute(db);
      keys.push({
        kind: index.unique === 1 ? 'unique' : 'index',
        name: index.origin === 'c' ? index.name : undefined,
        columns: indexColumns.rows.map((column) => column.name ?? '(expression)'),
      });
    }
    const references = await sql<{ id: number; seq: number; table: string; from: string; to: string | null }>`
      select id, seq, "table", "from", "to" from pragma_foreign_key_list(${name}) order by id, seq`.execute(db);
    const foreignKeys = new Map<number, ForeignKey>();
    for (const row of references.rows) {
      const key = foreignKeys.get(row.id) ?? { columns: [], references: row.table, referencedColumns: [] };
      key.columns.push(row.from);
      key.referencedColumns.push(row.to ?? '(primary key)');
      foreignKeys.set(row.id, key);
    }
    shapes.push({ name, columns: columns.map((c) => c.name), keys, foreignKeys: [...foreignKeys.values()] });
  }
  return shapes;
}

const describeSchema = (backend: Backend, db: Db) => (backend === 'postgres' ? describePostgres(db) : describeSqlite(db));

describe.each(backends)('the schema on %s, distributed by account', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.dispose());

  it('leads every per-account primary key, unique key and index with account_id, but for the listed ones', async () => {
    const tables = await describeSchema(backend, database.db);
    expect(tables.length).toBeGreaterThan(40);
    expect(distributionViolations(tables, POLICY)).toEqual([]);
  });

  it.skipIf(backend !== 'postgres')('holds no schema but its own and those listed', async () => {
    const schemas = await sql<{ name: string }>`
      select nspname as name from pg_namespace
      where nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and nspname !~ '^pg_(toast_)?temp_'
        and nspname <> current_schema()`.execute(database.db);
    expect(schemas.rows.map((schema) => schema.name).filter((name) => !(name in OTHER_SCHEMAS))).toEqual([]);
  });

  it('is checked for real: a new table without account_id, keys that do not lead with it and stale list entries are each named', async () => {
    const statements = [
      'create table distribution_probe_plain (id bigint primary key, name text)',
      'create table distribution_probe_items (account_id bigint not null, id bigint not null, serial text not null, created_at text not null, primary key (account_id, id))',
      'create unique index distribution_probe_items_serial on distribution_probe_items (serial)',
      'create index distribution_probe_items_created on distribution_probe_items (created_at)',
      'create table distribution_probe_links (account_id bigint not null, id bigint not null, item_serial text references distribution_probe_items (serial), primary key (account_id, id))',
    ];
    try {
      for (const statement of statements) await sql.raw(statement).execute(database.db);
      const tables = await describeSchema(backend, database.db);
      const stale: DistributionPolicy = {
        notPerAccount: { ...POLICY.notPerAccount, gone_table: { placement: 'coordinator', reason: 'no longer exists' } },
        crossAccountKeys: [...POLICY.crossAccountKeys, { table: 'users', columns: ['account_id', 'created_at'], reason: 'leads already' }],
        globalUniqueKeys: POLICY.globalUniqueKeys.filter((entry) => entry.table !== 'security_events'),
      };
      expect(distributionViolations(tables, stale)).toEqual([
        expect.stringMatching(
          /^distribution_probe_items: index distribution_probe_items_created \(created_at\) does not lead with account_id: put account_id first/,
        ),
        expect.stringMatching(
          /^distribution_probe_items: unique distribution_probe_items_serial \(serial\) does not include account_id, so a table distributed by account_id cannot enforce it/,
        ),
        'distribution_probe_links: foreign key (item_serial) to distribution_probe_items (serial) does not pair account_id with account_id: tables colocated by account can only refer to each other through it',
        expect.stringMatching(
          /^distribution_probe_plain: no account_id column, and not listed as a table that is not per account: add account_id/,
        ),
        'gone_table: listed in notPerAccount, but no migration creates it: take it off the list',
        expect.stringMatching(/^security_events: unique (\S+ )?\(event_id\) does not include account_id/),
        'users: crossAccountKeys lists (account_id, created_at), which is no key of the table that fails to lead with account_id: take it off the list',
      ]);
    } finally {
      for (const table of ['distribution_probe_links', 'distribution_probe_items', 'distribution_probe_plain'])
        await sql.raw(`drop table if exists ${table}`).execute(database.db);
    }
  });
});
