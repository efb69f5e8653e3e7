import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import { AppError } from '../errors.js';
import type { Db } from './database.js';
import * as foundation from './migrations/0001-foundation.js';
import * as identity from './migrations/0002-identity.js';
import * as certificates from './migrations/0003-certificates.js';
import * as apps from './migrations/0004-apps.js';
import * as incidents from './migrations/0005-incidents.js';
import * as exposures from './migrations/0006-exposures.js';
import * as campaigns from './migrations/0007-campaigns.js';
import * as staff from './migrations/0008-staff.js';
import * as courier from './migrations/0009-courier.js';
import * as advisories from './migrations/0010-advisories.js';
import * as staffAccess from './migrations/0011-staff-access.js';
import * as retentionErasure from './migrations/0012-retention-erasure.js';
import * as outboxRequeue from './migrations/0013-outbox-requeue.js';
import * as loginThrottlePairs from './migrations/0014-login-throttle-pairs.js';
import * as accountOwner from './migrations/0015-account-owner.js';
import * as storedDataIntegrity from './migrations/0016-stored-data-integrity.js';
import * as noticeFacts from './migrations/0018-notice-facts.js';
import * as announcedRotation from './migrations/0019-announced-rotation.js';
import * as credentialDates from './migrations/0020-credential-dates.js';
import * as hashTiers from './migrations/0021-hash-tiers.js';
import * as signInEvents from './migrations/0022-sign-in-events.js';
import * as securityEventDelivery from './migrations/0023-security-event-delivery.js';
import * as exposedPasswordHashes from './migrations/0024-exposed-password-hashes.js';
import * as exposedPasswordFingerprints from './migrations/0025-exposed-password-fingerprints.js';
import * as identityChanges from './migrations/0026-identity-changes.js';
import * as rateLimitWindows from './migrations/0027-rate-limit-windows.js';
import * as distributionKeys from './migrations/0028-distribution-keys.js';
import * as exposedHashesKeptOnReplace from './migrations/0029-exposed-hashes-kept-on-replace.js';
import * as campaignTargetsRoomToFlag from './migrations/0030-campaign-targets-room-to-flag.js';
import * as identityChangesWhenRowsChange from './migrations/0031-identity-changes-when-rows-change.js';
import * as identityChangesOffSignIns from './migrations/0032-identity-changes-off-sign-ins.js';

// Listed, not discovered on disk, so the built bundle and tests see the same set.
const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-identity': identity,
  '0003-certificates': certificates,
  '0004-apps': apps,
  '0005-incidents': incidents,
  '0006-exposures': exposures,
  '0007-campaigns': campaigns,
  '0008-staff': staff,
  '0009-courier': courier,
  '0010-advisories': advisories,
  '0011-staff-access': staffAccess,
  '0012-retention-erasure': retentionErasure,
  '0013-outbox-requeue': outboxRequeue,
  '0014-login-throttle-pairs': loginThrottlePairs,
  '0015-account-owner': accountOwner,
  '0016-stored-data-integrity': storedDataIntegrity,
  '0018-notice-facts': noticeFacts,
  '0019-announced-rotation': announcedRotation,
  '0020-credential-dates': credentialDates,
  '0021-hash-tiers': hashTiers,
  '0022-sign-in-events': signInEvents,
  '0023-security-event-delivery': securityEventDelivery,
  '0024-exposed-password-hashes': exposedPasswordHashes,
  '0025-exposed-password-fingerprints': exposedPasswordFingerprints,
  '0026-identity-changes': identityChanges,
  '0027-rate-limit-windows': rateLimitWindows,
  '0028-distribution-keys': distributionKeys,
  '0029-exposed-hashes-kept-on-replace': exposedHashesKeptOnReplace,
  '0030-campaign-targets-room-to-flag': campaignTargetsRoomToFlag,
  '0031-identity-changes-when-rows-change': identityChangesWhenRowsChange,
  '0032-identity-changes-off-sign-ins': identityChangesOffSignIns,
};

/** The migration that adds key versions to the audit trail; chains written before it are anchored once it runs. */
export const KEYED_AUDIT_MIGRATION = '0016-stored-data-integrity';

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Applies every pending migration; safe to call at each start. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError('MigrationFailed', `Migration ${failed} failed; the database was left at the previous version.`, {
      cause: error,
      detail: error instanceof Error ? error.message : JSON.stringify(error),
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Reverts the newest applied migration (tests of upgrades use it to stand where an older release left a database). */
export async function migrateDownOne(db: Db): Promise<string | undefined> {
  const { error, results } = await new Migrator({ db, provider }).migrateDown();
  if (error !== undefined) throw new AppError('MigrationFailed', 'Reverting the newest migration failed.', { cause: error });
  return results?.find((r) => r.status === 'Success')?.migrationName;
}
