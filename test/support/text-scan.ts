import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import type { Backend } from './databases.js';

export interface TextHit {
  table: string;
  column: string;
  needle: string;
}

interface TextColumn {
  table: string;
  column: string;
}

/** Every text-like column of every table, read from the catalogue (pg-boss's schema included on PostgreSQL). */
async function textColumns(db: Db, backend: Backend): Promise<TextColumn[]> {
  if (backend === 'postgres') {
    const { rows } = await sql<{ table_schema: string; table_name: string; column_name: string }>`
      select c.table_schema, c.table_name, c.column_name
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema in ('public', 'pgboss') and t.table_type = 'BASE TABLE'
        and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb')
      order by 1, 2, 3`.execute(db);
    return rows.map((row) => ({ table: `${row.table_schema}.${row.table_name}`, column: row.column_name }));
  }
  const { rows: tables } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(db);
  const columns: TextColumn[] = [];
  for (const { name } of tables) {
    const { rows } = await sql<{ name: string; type: string }>`select name, type from pragma_table_info(${name})`.execute(db);
    // SQLite stores text in columns of any declared type; scan them all.
    for (const column of rows) columns.push({ table: name, column: column.name });
  }
  return columns;
}

/**
 * Looks for each needle (case-insensitive) in every text column of every
 * table, generically, so that a table added later is scanned too.
 */
export async function findText(db: Db, backend: Backend, needles: readonly string[]): Promise<TextHit[]> {
  const hits: TextHit[] = [];
  for (const { table, column } of await textColumns(db, backend)) {
    const [schema, name] = table.includes('.') ? table.split('.') : [undefined, table];
    const from = schema === undefined ? sql.table(name ?? table) : sql.table(`${schema}.${name}`);
    for (const needle of needles) {
      const pattern = `%${needle.toLowerCase()}%`;
      const { rows } = await sql<{ found: number }>`
        select count(*) as found from ${from} where lower(cast(${sql.ref(column)} as text)) like ${pattern}`.execute(db);
      if (Number(rows[0]?.found ?? 0) > 0) hits.push({ table, column, needle });
    }
  }
  return hits;
}
