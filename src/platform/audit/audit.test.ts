import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { FixedClock } from '../clock.js';
import { recordAudit, verifyAuditChains } from './audit.service.js';

describe.each(backends)('audit chain on %s', (backend) => {
  let database: TestDatabase;
  const clock = new FixedClock();
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    const actor = { type: 'cli' as const };
    for (let i = 1; i <= 5; i++) await recordAudit(database.db, clock, { accountId: 7, actor, action: 'thing.changed', data: { i } });
    await recordAudit(
      database.db,
      clock,
      { accountId: 8, actor, action: 'other.changed' },
      { accountId: 8, actor, action: 'other.changed' },
    );
  });
  afterEach(() => database.dispose());

  it('verifies an untouched chain, per account and in all', async () => {
    expect(await verifyAuditChains(database.db)).toEqual({ ok: true, accounts: 2, events: 7, firstBroken: undefined });
    expect((await verifyAuditChains(database.db, 8)).events).toBe(2);
  });

  it('rolls back with the transaction it was written in', async () => {
    await expect(
      database.db.transaction().execute(async (tx) => {
        await recordAudit(tx, clock, { accountId: 7, actor: { type: 'cli' }, action: 'doomed' });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect((await verifyAuditChains(database.db, 7)).events).toBe(5);
    await recordAudit(database.db, clock, { accountId: 7, actor: { type: 'cli' }, action: 'after' });
    expect((await verifyAuditChains(database.db)).ok).toBe(true);
  });

  it('catches an edited event', async () => {
    await database.db.updateTable('audit_events').set({ data: '{"i":99}' }).where('account_id', '=', 7).where('seq', '=', 3).execute();
    const report = await verifyAuditChains(database.db);
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject({ accountId: 7, seq: 3, reason: expect.stringContaining('altered') });
  });

  it('catches a deleted event, in the middle and at the end', async () => {
    await database.db.deleteFrom('audit_events').where('account_id', '=', 7).where('seq', '=', 2).execute();
    expect((await verifyAuditChains(database.db)).firstBroken).toMatchObject({
      accountId: 7,
      seq: 2,
      reason: expect.stringContaining('missing'),
    });
    await database.db.deleteFrom('audit_events').where('account_id', '=', 8).where('seq', '=', 2).execute();
    expect((await verifyAuditChains(database.db, 8)).firstBroken).toMatchObject({
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
    expect((await verifyAuditChains(database.db)).firstBroken).toMatchObject({
      accountId: 7,
      seq: 2,
      reason: expect.stringContaining('does not link'),
    });
  });
});
