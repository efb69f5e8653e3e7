import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { migrateToLatest } from './migrate.js';
import { reserveIds } from './sequences.js';

describe.each(backends)('migrations on %s', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrate: false });
  });
  afterAll(() => database.dispose());

  it('apply from empty, then have nothing left to do', async () => {
    expect(await migrateToLatest(database.db)).toEqual([
      '0001-foundation',
      '0002-identity',
      '0003-certificates',
      '0004-apps',
      '0005-incidents',
      '0006-exposures',
      '0007-campaigns',
      '0008-staff',
      '0009-courier',
      '0010-advisories',
      '0011-staff-access',
      '0012-retention-erasure',
      '0013-outbox-requeue',
      '0014-login-throttle-pairs',
      '0015-account-owner',
      '0016-stored-data-integrity',
      '0018-notice-facts',
      '0019-announced-rotation',
      '0020-credential-dates',
      '0021-hash-tiers',
      '0022-sign-in-events',
      '0023-security-event-delivery',
      '0024-exposed-password-hashes',
      '0025-exposed-password-fingerprints',
      '0026-identity-changes',
      '0027-rate-limit-windows',
      '0028-distribution-keys',
      '0029-exposed-hashes-kept-on-replace',
      '0030-campaign-targets-room-to-flag',
      '0031-identity-changes-when-rows-change',
      '0032-identity-changes-off-sign-ins',
    ]);
    expect(await migrateToLatest(database.db)).toEqual([]);
    const tables = (await database.db.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining(['accounts', 'users', 'password_credentials', 'audit_events', 'data_keys', 'local_jobs']),
    );
  });

  it('reserve consecutive id blocks', async () => {
    const first = await reserveIds(database.db, 'things', 10);
    const second = await reserveIds(database.db, 'things', 5);
    expect(first).toBe(1);
    expect(second).toBe(11);
  });
});
