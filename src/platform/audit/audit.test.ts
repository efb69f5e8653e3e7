import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testAuditWriter } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { FixedClock } from '../clock.js';
import { readPersonalData } from './audit-personal-data.js';
import { purgeAuditEventsBefore } from './audit-retention.js';
import { erasePersonalData } from './audit.repo.js';
import { hashEvent, recordAudit, verifyAuditChains, type AuditWriter } from './audit.service.js';

describe.each(backends)('audit chain on %s', (backend) => {
  let database: TestDatabase;
  let writer: AuditWriter;
  const clock = new FixedClock();
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    writer = testAuditWriter(database, clock);
    const actor = { type: 'cli' as const };
    for (let i = 1; i <= 5; i++) await recordAudit(database.db, writer, { accountId: 7, actor, action: 'thing.changed', data: { i } });
    await recordAudit(
      database.db,
      writer,
      { accountId: 8, actor, action: 'other.changed' },
      { accountId: 8, actor, action: 'other.changed' },
    );
  });
  afterEach(() => database.dispose());

  it('verifies an untouched chain, per account and in all', async () => {
    expect(await verifyAuditChains(database.db, writer.keyring)).toEqual({ ok: true, accounts: 2, events: 7, firstBroken: undefined });
    expect((await verifyAuditChains(database.db, writer.keyring, 8)).events).toBe(2);
  });

  it('rolls back with the transaction it was written in', async () => {
    await expect(
      database.db.transaction().execute(async (tx) => {
        await recordAudit(tx, writer, { accountId: 7, actor: { type: 'cli' }, action: 'doomed' });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect((await verifyAuditChains(database.db, writer.keyring, 7)).events).toBe(5);
    await recordAudit(database.db, writer, { accountId: 7, actor: { type: 'cli' }, action: 'after' });
    expect((await verifyAuditChains(database.db, writer.keyring)).ok).toBe(true);
  });

  it('catches an edited event', async () => {
    await database.db.updateTable('audit_events').set({ data: '{"i":99}' }).where('account_id', '=', 7).where('seq', '=', 3).execute();
    const report = await verifyAuditChains(database.db, writer.keyring);
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject({ accountId: 7, seq: 3, reason: expect.stringContaining('altered') });
  });

  it('catches a deleted event, in the middle and at the end', async () => {
    await database.db.deleteFrom('audit_events').where('account_id', '=', 7).where('seq', '=', 2).execute();
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      accountId: 7,
      seq: 2,
      reason: expect.stringContaining('missing'),
    });
    await database.db.deleteFrom('audit_events').where('account_id', '=', 8).where('seq', '=', 2).execute();
    expect((await verifyAuditChains(database.db, writer.keyring, 8)).firstBroken).toMatchObject({
      accountId: 8,
      seq: 2,
      reason: expect.stringContaining('removed from the end'),
    });
  });

  it('catches reordered events', async () => {
    // Swap the sequence numbers of events 2 and 3.
    await database.db.updateTable('audit_events').set({ seq: -1 }).where('account_id', '=', 7).where('seq', '=', 2).execute();
    await database.db.updateTable('audit_events').set({ seq: 2 }).where('account_id', '=', 7).where('seq', '=', 3).execute();
    await database.db.updateTable('audit_events').set({ seq: 3 }).where('account_id', '=', 7).where('seq', '=', -1).execute();
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      accountId: 7,
      seq: 2,
      reason: expect.stringContaining('does not link'),
    });
  });
});

describe('audit events written before personal data existed', () => {
  it('hash exactly as they always did, so migrated chains still verify', () => {
    const event = {
      prev_hash: '0'.repeat(64),
      account_id: 7,
      seq: 1,
      occurred_at: '2026-01-01T00:00:00.000Z',
      actor_type: 'cli',
      actor_id: null,
      action: 'thing.changed',
      target_type: null,
      target_id: null,
      data: '{"i":1}',
      subject_user_id: null,
      personal_digest: null,
      hash_key_version: null,
    };
    const legacy = crypto
      .createHash('sha256')
      .update(JSON.stringify(['0'.repeat(64), 7, 1, '2026-01-01T00:00:00.000Z', 'cli', null, 'thing.changed', null, null, '{"i":1}']))
      .digest('hex');
    expect(hashEvent(event)).toBe(legacy);
  });
});

describe.each(backends)('personal data and purged chains on %s', (backend) => {
  let database: TestDatabase;
  const clock = new FixedClock('2020-01-01T00:00:00.000Z');
  const actor = { type: 'cli' as const };
  const personal = { userId: 42, values: { email: 'ana.erasable@acme.test', name: 'Ana Erasable', ip: '203.0.113.9' } };
  let writer: AuditWriter;
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    writer = testAuditWriter(database, clock);
    clock.set('2020-01-01T00:00:00.000Z');
    for (let day = 0; day < 6; day++) {
      await recordAudit(database.db, writer, { accountId: 7, actor, action: 'user.updated', data: { day }, personal });
      clock.advance(86_400_000);
    }
  });
  afterEach(() => database.dispose());

  it('keeps personal values out of the hashed data, and still verifies once they are erased', async () => {
    const rows = await database.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    expect(rows.map((row) => row.data).join('')).not.toContain('acme.test');
    expect(readPersonalData(rows[0] ?? { personal_data: null })).toEqual(personal.values);
    expect(await erasePersonalData(database.db, 7, 42)).toBe(6);
    const erased = await database.db.selectFrom('audit_events').selectAll().execute();
    expect(erased.every((row) => row.personal_data === null && row.personal_salt === null && row.personal_digest !== null)).toBe(true);
    expect(await verifyAuditChains(database.db, writer.keyring)).toMatchObject({ ok: true, events: 6 });
  });

  it('catches personal data altered while it exists', async () => {
    await database.db
      .updateTable('audit_events')
      .set({ personal_data: '{"email":"someone.else@acme.test"}' })
      .where('seq', '=', 4)
      .execute();
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      seq: 4,
      reason: expect.stringContaining('personal data'),
    });
  });

  it('catches an erased digest (the data cannot be removed by dropping the digest too)', async () => {
    await database.db
      .updateTable('audit_events')
      .set({ personal_data: null, personal_salt: null, personal_digest: null })
      .where('seq', '=', 2)
      .execute();
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      seq: 2,
      reason: expect.stringContaining('altered'),
    });
  });

  it('verifies from the checkpoint once the oldest events are purged, and only thanks to it', async () => {
    // Events of days 0..5; purge those before day 3 in batches of 2.
    const purged = await purgeAuditEventsBefore(database.db, writer, '2020-01-04T00:00:00.000Z', 2);
    expect(purged).toBe(3);
    const left = await database.db.selectFrom('audit_events').select(['seq', 'action']).orderBy('seq').execute();
    expect(left.map((row) => Number(row.seq))).toEqual([4, 5, 6, 7, 8]);
    expect(left.slice(3).map((row) => row.action)).toEqual(['audit.purged', 'audit.purged']);
    expect(await verifyAuditChains(database.db, writer.keyring)).toMatchObject({ ok: true, events: 5 });

    await database.db.deleteFrom('audit_checkpoints').execute();
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      seq: 1,
      reason: expect.stringContaining('missing'),
    });
  });

  it('still catches an edit after the checkpoint', async () => {
    await purgeAuditEventsBefore(database.db, writer, '2020-01-03T00:00:00.000Z', 100);
    await database.db.updateTable('audit_events').set({ data: '{"day":99}' }).where('seq', '=', 3).execute();
    expect((await verifyAuditChains(database.db, writer.keyring)).firstBroken).toMatchObject({
      seq: 3,
      reason: expect.stringContaining('altered'),
    });
  });
});
