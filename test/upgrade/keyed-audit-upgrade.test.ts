import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYED_AUDIT_MIGRATION, migrateDownOne } from '../../src/db/migrate.js';
import { openRuntime } from '../../src/main.js';
import { hashEvent, recordAudit, verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import { testAuditWriter } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';

/** Turns every event of the database into what a release before keyed chains wrote: plain SHA-256 links. */
async function asWrittenBeforeKeying(database: TestDatabase): Promise<void> {
  const rows = await database.db.selectFrom('audit_events').selectAll().orderBy('account_id').orderBy('seq').execute();
  const previous = new Map<number, string>();
  for (const row of rows) {
    const accountId = Number(row.account_id);
    const plain = { ...row, prev_hash: previous.get(accountId) ?? '0'.repeat(64), hash_key_version: null };
    const hash = hashEvent(plain);
    await database.db
      .updateTable('audit_events')
      .set({ prev_hash: plain.prev_hash, hash, hash_key_version: null })
      .where('account_id', '=', accountId)
      .where('seq', '=', row.seq)
      .execute();
    await database.db.updateTable('audit_heads').set({ hash }).where('account_id', '=', accountId).execute();
    previous.set(accountId, hash);
  }
}

describe.each(backends)('upgrading to keyed audit chains on %s', (backend) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(() => database.dispose());

  const env = () => ({
    RIPOSTE_DATA_DIR: database.dataDir,
    ...(database.databaseUrl === undefined ? {} : { DATABASE_URL: database.databaseUrl }),
    LOG_LEVEL: 'silent',
  });

  it('anchors the chains of the older release once, at the upgrade, and never again', async () => {
    const writer = testAuditWriter(database);
    for (const accountId of [7, 8])
      await recordAudit(database.db, writer, { accountId, actor: { type: 'cli' }, action: 'thing.changed', data: { accountId } });
    await asWrittenBeforeKeying(database);
    // Back to the release before keyed chains: the newer migrations first, then the keying.
    let reverted: string | undefined;
    do reverted = await migrateDownOne(database.db);
    while (reverted !== undefined && reverted !== KEYED_AUDIT_MIGRATION);
    expect(reverted).toBe(KEYED_AUDIT_MIGRATION);

    const upgraded = await openRuntime({}, env());
    try {
      expect(await verifyAuditChains(upgraded.db, upgraded.keyring)).toMatchObject({ ok: true, accounts: 2, events: 4 });
      const actions = await upgraded.db.selectFrom('audit_events').select(['action', 'hash_key_version']).orderBy('seq').execute();
      expect(actions.filter((row) => row.action === 'audit.chain_keyed')).toEqual([
        { action: 'audit.chain_keyed', hash_key_version: 1 },
        { action: 'audit.chain_keyed', hash_key_version: 1 },
      ]);
    } finally {
      await upgraded.close();
    }

    // Later, a chain rewritten as plain hashes is not anchored by the next start: it stays broken.
    await asWrittenBeforeKeying(database);
    const later = await openRuntime({}, env());
    try {
      const report = await verifyAuditChains(later.db, later.keyring);
      expect(report.firstBroken).toMatchObject({ reason: expect.stringContaining('rewritten without the audit key') });
    } finally {
      await later.close();
    }
  });
});
