import { testKeyring } from '../../../test/support/app.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../audit/audit.service.js';
import { FixedClock } from '../clock.js';
import { decryptSecretsConfidential, sealSecrets, type SealedSecret, type SecretToSeal } from './envelope.service.js';
import { KEY_FILE_NAME } from './key-file.js';
import { loadKeyring, type Keyring } from './keyring.js';
import { rewrapDataKeys, type RewrapProgress } from './rewrap.service.js';

const SECRETS = 25;
const newKey = (): string => crypto.randomBytes(32).toString('base64');

/** 25 secrets over three accounts, so batches cross account boundaries. */
const secretsToSeal = (): SecretToSeal[] =>
  Array.from({ length: SECRETS }, (_, index) => ({
    accountId: 1 + (index % 3),
    table: 'app_installations',
    column: 'secure_settings',
    rowId: index + 1,
    plaintext: `token-${index}`,
  }));

describe.each(backends)('re-wrapping data keys on %s', (backend) => {
  let database: TestDatabase;
  let keyring: Keyring;
  let stored: SealedSecret[];
  const clock = new FixedClock();

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    keyring = loadKeyring({ keys: undefined, dataDir: database.dataDir, clock });
    const secrets = secretsToSeal();
    const sealed = await sealSecrets(database.db, keyring, clock, secrets);
    stored = secrets.map((secret, index) => ({ ...secret, sealed: sealed[index] ?? '' }));
  });
  afterEach(() => database.dispose());

  const versionsInUse = async (): Promise<Record<number, number>> => {
    const rows = await database.db.selectFrom('data_keys').select('kek_version').execute();
    const counts: Record<number, number> = {};
    for (const row of rows) counts[Number(row.kek_version)] = (counts[Number(row.kek_version)] ?? 0) + 1;
    return counts;
  };
  const rewrapEvents = () =>
    database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', PLATFORM_ACCOUNT_ID)
      .where('action', '=', 'keys.rewrapped')
      .execute();
  const expectAllDecrypt = async (with_: Keyring): Promise<void> => {
    expect(await decryptSecretsConfidential(database.db, with_, stored)).toEqual(stored.map((_, index) => `token-${index}`));
  };

  it('moves every data key to the new version; secrets still decrypt, even once the old key is gone', async () => {
    expect(keyring.addKeyVersion()).toBe(2);
    const progress: RewrapProgress[] = [];
    const result = await rewrapDataKeys(database.db, keyring, clock, {
      batchSize: 10,
      onProgress: (p) => progress.push(p),
      actor: { type: 'cli' },
    });

    expect(result).toEqual({ fromVersions: [1], toVersion: 2, count: SECRETS });
    expect(progress).toEqual([
      { done: 0, total: 25 },
      { done: 10, total: 25 },
      { done: 20, total: 25 },
      { done: 25, total: 25 },
    ]);
    expect(await versionsInUse()).toEqual({ 2: SECRETS });
    await expectAllDecrypt(keyring);

    // The operator retires version 1: the key file keeps only version 2.
    const keyFile = path.join(database.dataDir, KEY_FILE_NAME);
    const json = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { keys: { version: number }[] };
    fs.writeFileSync(keyFile, JSON.stringify({ ...json, keys: json.keys.filter((k) => k.version === 2) }), { mode: 0o600 });
    const retired = loadKeyring({ keys: undefined, dataDir: database.dataDir });
    expect(retired.versions).toEqual([2]);
    await expectAllDecrypt(retired);

    const events = await rewrapEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_type: 'cli', occurred_at: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(events[0]?.data ?? '{}')).toEqual({ fromVersions: [1], toVersion: 2, count: SECRETS });
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
  });

  it('wraps new data keys with the new version straight away', async () => {
    keyring.addKeyVersion();
    await sealSecrets(database.db, keyring, clock, [
      { accountId: 1, table: 'certificates', column: 'private_key_pem', rowId: 1, plaintext: 'pem' },
    ]);
    expect(await versionsInUse()).toEqual({ 1: SECRETS, 2: 1 });
  });

  it('resumes after an interruption and finishes the rest', async () => {
    keyring.addKeyVersion();
    const interrupted = rewrapDataKeys(database.db, keyring, clock, {
      batchSize: 10,
      onProgress: ({ done }) => {
        if (done > 0) throw new Error('killed after the first batch');
      },
    });
    await expect(interrupted).rejects.toThrow('killed after the first batch');
    expect(await versionsInUse()).toEqual({ 1: 15, 2: 10 });
    expect(await rewrapEvents()).toHaveLength(0);
    await expectAllDecrypt(keyring);

    const resumed = await rewrapDataKeys(database.db, keyring, clock, { batchSize: 10 });
    expect(resumed).toEqual({ fromVersions: [1], toVersion: 2, count: 15 });
    expect(await versionsInUse()).toEqual({ 2: SECRETS });
    await expectAllDecrypt(keyring);
  });

  it('does nothing when every data key is already current (and says so in the audit)', async () => {
    const result = await rewrapDataKeys(database.db, keyring, clock);
    expect(result).toEqual({ fromVersions: [], toVersion: 1, count: 0 });
    expect(await versionsInUse()).toEqual({ 1: SECRETS });
    expect(JSON.parse((await rewrapEvents())[0]?.data ?? '{}')).toEqual({ fromVersions: [], toVersion: 1, count: 0 });
  });

  it('rotates keys that come from RIPOSTE_KEYS: add a pair, re-wrap, drop the old pair', async () => {
    const [first, second] = [newKey(), newKey()];
    const v1 = loadKeyring({ keys: `1:${first}`, dataDir: database.dataDir });
    await database.db.deleteFrom('data_keys').execute();
    const sealed = await sealSecrets(database.db, v1, clock, secretsToSeal());
    stored = secretsToSeal().map((secret, index) => ({ ...secret, sealed: sealed[index] ?? '' }));

    const both = loadKeyring({ keys: `1:${first},2:${second}`, dataDir: database.dataDir });
    expect((await rewrapDataKeys(database.db, both, clock, { batchSize: 7 })).count).toBe(SECRETS);
    await expectAllDecrypt(loadKeyring({ keys: `2:${second}`, dataDir: database.dataDir }));
  });

  it('refuses to start when a version in use is missing from the keyring', async () => {
    await database.db
      .updateTable('data_keys')
      .set({ kek_version: 7 })
      .where('id', '=', Number(stored[0]?.sealed.split('.')[1]))
      .execute();
    keyring.addKeyVersion();
    await expect(rewrapDataKeys(database.db, keyring, clock)).rejects.toMatchObject({
      code: 'KeyVersionMissing',
      message: expect.stringContaining('1 data keys are wrapped with key version 7, which the keyring does not hold (it holds 1, 2)'),
    });
    expect(await versionsInUse()).toEqual({ 1: SECRETS - 1, 7: 1 });
  });

  it('stops at a tampered data key, keeping the batches already done', async () => {
    // Index 23 belongs to account 3 and so comes last in primary-key order.
    const tamperedId = Number(stored[23]?.sealed.split('.')[1]);
    const donor = await database.db.selectFrom('data_keys').select('wrapped_key').where('id', '<>', tamperedId).executeTakeFirstOrThrow();
    await database.db.updateTable('data_keys').set({ wrapped_key: donor.wrapped_key }).where('id', '=', tamperedId).execute();
    keyring.addKeyVersion();
    await expect(rewrapDataKeys(database.db, keyring, clock, { batchSize: 10 })).rejects.toMatchObject({
      code: 'SecretIntegrityError',
      message: expect.stringContaining(`Data key ${tamperedId} of account`),
    });
    expect((await versionsInUse())[2]).toBeGreaterThan(0);
  });

  it('refuses a batch size out of range', async () => {
    for (const batchSize of [0, 5_001, 1.5]) {
      await expect(rewrapDataKeys(database.db, keyring, clock, { batchSize })).rejects.toMatchObject({ code: 'RecordInvalid' });
    }
  });
});
