import type { Db } from '../../db/database.js';
import { accountsWithEventsBefore, countThrough, lastPurgeableSeq, nextPurgeBatch, purgeChainPrefix } from './audit.repo.js';
import { recordAudit, type AuditWriter } from './audit.service.js';

/**
 * Purges audit events older than `cutoff`, account by account, oldest
 * first, `batchSize` at a time, each batch in a short transaction that
 * moves the account's checkpoint (the hash of the last purged event) and
 * records `audit.purged` in the same chain. Verification starts from the
 * checkpoint, so the chain that remains still verifies. Only a prefix of a
 * chain is ever removed: an event is kept when any later one is kept too.
 */
export async function purgeAuditEventsBefore(db: Db, writer: AuditWriter, cutoff: string, batchSize: number): Promise<number> {
  let purged = 0;
  for (const accountId of await accountsWithEventsBefore(db, cutoff)) {
    // Fixed once: events appended meanwhile are newer than the cutoff anyway.
    const lastSeq = await lastPurgeableSeq(db, accountId, cutoff);
    if (lastSeq === undefined) continue;
    for (;;) {
      const removed = await db.transaction().execute(async (tx) => {
        const throughSeq = await nextPurgeBatch(tx, accountId, lastSeq, batchSize);
        if (throughSeq === undefined) return 0;
        const count = await purgeChainPrefix(tx, accountId, throughSeq, writer.clock.now().toISOString());
        if (count === 0) return 0;
        await recordAudit(tx, writer, {
          accountId,
          actor: { type: 'system' },
          action: 'audit.purged',
          data: { through_seq: throughSeq, events: count, before: cutoff },
        });
        return count;
      });
      purged += removed;
      if (removed < batchSize) break;
    }
  }
  return purged;
}

/** What `purgeAuditEventsBefore` would remove, for dry runs. */
export async function countAuditEventsBefore(db: Db, cutoff: string): Promise<number> {
  let total = 0;
  for (const accountId of await accountsWithEventsBefore(db, cutoff)) {
    const lastSeq = await lastPurgeableSeq(db, accountId, cutoff);
    if (lastSeq !== undefined) total += await countThrough(db, accountId, lastSeq);
  }
  return total;
}
