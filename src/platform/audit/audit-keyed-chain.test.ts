import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testAuditWriter } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import type { AuditEventRow } from '../../db/schema.js';
import { FixedClock } from '../clock.js';
import { loadKeyring, type Keyring } from '../crypto/keyring.js';
import { anchorUnkeyedChains, hashEvent, recordAudit, verifyAuditChains } from './audit.service.js';

const actor = { type: 'cli' as const };
const keyText = () => crypto.randomBytes(32).toString('base64');
const environmentKeyring = (keys: string): Keyring => loadKeyring({ keys, dataDir: '/nonexistent' });

/**
 * What someone with write access to the database but not the key can do:
 * rewrite events from `fromSeq` on and recompute every hash after them, as
 * plain SHA-256 (the only hash they can compute), and move the head along.
 */
async function rewriteWithoutKey(database: TestDatabase, accountId: number, fromSeq: number, edit: (row: AuditEventRow) => AuditEventRow) {
  const rows = await database.db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId).orderBy('seq').execute();
  let previous = rows.find((row) => Number(row.seq) === fromSeq - 1)?.hash ?? '0'.repeat(64);
  for (const row of rows.filter((candidate) => Number(candidate.seq) >= fromSeq)) {
    const forged = { ...edit(row), prev_hash: previous, hash_key_version: null };
    forged.hash = hashEvent(forged);
    await database.db
      .updateTable('audit_events')
      .set({ data: forged.data, prev_hash: forged.prev_hash, hash: forged.hash, hash_key_version: null })
      .where('account_id', '=', accountId)
      .where('seq', '=', row.seq)
      .execute();
    previous = forged.hash;
  }
  await database.db.updateTable('audit_heads').set({ hash: previous }).where('account_id', '=', accountId).execute();
}

describe.each(backends)('the keyed audit chain on %s', (backend) => {
  let database: TestDatabase;
  const clock = new FixedClock('2026-06-01T12:00:00.000Z');
  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(() => database.dispose());

  async function writeEvents(keyring: Keyring, accountId: number, count: number): Promise<void> {
    for (let i = 0; i < count; i++)
      await recordAudit(database.db, { clock, keyring }, { accountId, actor, action: 'thing.changed', data: { i } });
  }

  it('keys every new event with the current key version, not a plain hash', async () => {
    const writer = testAuditWriter(database, clock);
    await writeEvents(writer.keyring, 7, 2);
    const rows = await database.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    expect(rows.map((row) => row.hash_key_version)).toEqual([1, 1]);
    expect(rows.every((row) => row.hash !== hashEvent(row))).toBe(true);
  });

  it('catches a rewrite whose hashes were all recomputed without the key, from the edit to the head', async () => {
    const writer = testAuditWriter(database, clock);
    await writeEvents(writer.keyring, 7, 5);
    await rewriteWithoutKey(database, 7, 3, (row) => ({ ...row, data: '{"i":99}' }));
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      accountId: 7,
      seq: 3,
      reason: expect.stringContaining('rewritten without the audit key'),
    });
  });

  it('catches a whole chain rewritten as plain hashes', async () => {
    const writer = testAuditWriter(database, clock);
    await writeEvents(writer.keyring, 7, 3);
    await rewriteWithoutKey(database, 7, 1, (row) => ({ ...row, data: '{"i":99}' }));
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      accountId: 7,
      seq: 3,
      reason: expect.stringContaining('rewritten without the audit key'),
    });
  });

  it('catches hashes recomputed with a key of its own', async () => {
    const writer = testAuditWriter(database, clock);
    await writeEvents(writer.keyring, 7, 3);
    const forger = environmentKeyring(`1:${keyText()}`);
    await database.db.deleteFrom('audit_events').execute();
    await database.db.deleteFrom('audit_heads').execute();
    await writeEvents(forger, 7, 3);
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      seq: 1,
      reason: expect.stringContaining('HMAC does not match'),
    });
  });

  it('verifies across a key rotation, and names a missing key version', async () => {
    const first = keyText();
    const second = keyText();
    await writeEvents(environmentKeyring(`1:${first}`), 7, 2);
    await writeEvents(environmentKeyring(`1:${first},2:${second}`), 7, 2);
    const versions = await database.db.selectFrom('audit_events').select('hash_key_version').orderBy('seq').execute();
    expect(versions.map((row) => row.hash_key_version)).toEqual([1, 1, 2, 2]);
    expect(await verifyAuditChains(database.db, environmentKeyring(`1:${first},2:${second}`))).toMatchObject({ ok: true, events: 4 });

    const report = await verifyAuditChains(database.db, environmentKeyring(`2:${second}`));
    expect(report.firstBroken).toMatchObject({
      seq: 1,
      reason: expect.stringMatching(/key version 1, which the keyring does not hold .*RIPOSTE_KEYS/),
    });
  });

  it('anchors chains written before keying, and then catches an edit of those old events', async () => {
    const writer = testAuditWriter(database, clock);
    await writeEvents(writer.keyring, 7, 3);
    await writeEvents(writer.keyring, 8, 1);
    // As a database from before migration 0016 holds them: plain hashes, no key version.
    await rewriteWithoutKey(database, 7, 1, (row) => row);
    await rewriteWithoutKey(database, 8, 1, (row) => row);
    expect((await verifyAuditChains(database.db, writer.keyring)).ok).toBe(false);

    expect(await anchorUnkeyedChains(database.db, writer)).toBe(2);
    expect(await anchorUnkeyedChains(database.db, writer)).toBe(0);
    expect(await verifyAuditChains(database.db, writer.keyring)).toMatchObject({ ok: true, events: 6 });

    // An old event edited and the plain hashes recomputed up to the anchor: the anchor's HMAC covers the link.
    await rewriteWithoutKey(database, 7, 2, (row) => (Number(row.seq) === 2 ? { ...row, data: '{"i":99}' } : row));
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({ accountId: 7, seq: 4 });
  });
});
