import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { AppError } from '../../errors.js';
import { FixedClock } from '../clock.js';
import { encodeBox, encryptAesGcm, KEY_BYTES } from './aes-gcm.js';
import {
  dataKeyAad,
  decryptSecretConfidential,
  decryptSecretsConfidential,
  sealSecret,
  sealSecrets,
  type SecretLocation,
} from './envelope.service.js';
import { loadKeyring, type Keyring } from './keyring.js';

const PEM = `-----BEGIN PRIVATE KEY-----\n${crypto.randomBytes(900).toString('base64')}\n-----END PRIVATE KEY-----`;
const TOKEN = 'xoxb-1234-very-secret-token';
const installation: SecretLocation = { accountId: 7, table: 'app_installations', column: 'secure_settings', rowId: 42 };

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

/** Flips one bit in part `index` of a sealed value (2 iv, 3 ciphertext, 4 tag). */
function flipBit(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes.writeUInt8(bytes.readUInt8(0) ^ 0x01, 0);
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

const failedAuthentication = (location: SecretLocation): string =>
  `The stored secret for ${location.table}.${location.column} of row ${location.rowId} failed authentication: it was altered or copied from another record.`;

describe.each(backends)('envelope encryption on %s', (backend) => {
  let database: TestDatabase;
  let keyring: Keyring;
  const clock = new FixedClock();
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    keyring = loadKeyring({ keys: undefined, dataDir: database.dataDir, clock });
  });
  afterEach(() => database.dispose());

  async function expectRefused(location: SecretLocation, sealed: string): Promise<AppError> {
    const error = await rejection(decryptSecretConfidential(database.db, keyring, { ...location, sealed }));
    expect(error.code).toBe('SecretIntegrityError');
    expect(error.status).toBe(500);
    expect(`${error.message} ${error.detail ?? ''}`).not.toContain(TOKEN);
    return error;
  }

  it('round-trips secrets, each under its own data key', async () => {
    const secrets = [
      { ...installation, plaintext: TOKEN },
      { accountId: 7, table: 'certificates', column: 'private_key_pem', rowId: 3, plaintext: PEM },
      { accountId: 8, table: 'app_installations', column: 'secure_settings', rowId: 'uuid-1:with:colons', plaintext: 'clé ✓ 🔑' },
      { accountId: 8, table: 'app_installations', column: 'secure_settings', rowId: 43, plaintext: '' },
    ];
    const sealed = await sealSecrets(database.db, keyring, clock, secrets);
    for (const value of sealed) {
      expect(value).toMatch(/^v2\.\d+\.[\w-]{16}\.[\w-]*\.[\w-]{22}$/);
      expect(value).not.toContain(TOKEN);
    }
    const opened = await decryptSecretsConfidential(
      database.db,
      keyring,
      secrets.map((secret, index) => ({ ...secret, sealed: sealed[index] ?? '' })),
    );
    expect(opened).toEqual(secrets.map((secret) => secret.plaintext));

    const dataKeys = await database.db.selectFrom('data_keys').selectAll().orderBy('id').execute();
    expect(dataKeys.map((row) => [Number(row.account_id), Number(row.kek_version), row.created_at])).toEqual([
      [7, 1, '2026-01-01T00:00:00.000Z'],
      [7, 1, '2026-01-01T00:00:00.000Z'],
      [8, 1, '2026-01-01T00:00:00.000Z'],
      [8, 1, '2026-01-01T00:00:00.000Z'],
    ]);
    expect(new Set(sealed.map((value) => value.split('.')[1])).size).toBe(4);
  });

  it('seals a place again under a new data key, and refuses the older ciphertext put back into the row', async () => {
    const first = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: 'xoxb-old-leaked-token' });
    const second = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    expect(first.split('.')[1]).not.toBe(second.split('.')[1]);
    expect(await decryptSecretConfidential(database.db, keyring, { ...installation, sealed: second })).toBe(TOKEN);
    // Its previous data key is gone: one live key per place.
    expect(await database.db.selectFrom('data_keys').select('sealed_for').execute()).toEqual([
      { sealed_for: 'app_installations.secure_settings.42' },
    ]);
    const error = await expectRefused(installation, first);
    expect(error.message).toContain('is an older value: the secret was sealed again since');
  });

  it('refuses an older ciphertext restored with its data key row, and a data key relabelled to another place', async () => {
    const first = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: 'xoxb-old-leaked-token' });
    const oldKey = await database.db.selectFrom('data_keys').selectAll().executeTakeFirstOrThrow();
    await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    // Restored from a backup beside the live key, under another label so the unique place allows it.
    await database.db
      .insertInto('data_keys')
      .values({ ...oldKey, sealed_for: 'app_installations.secure_settings.4242' })
      .execute();
    await expectRefused(installation, first);
    await database.db.deleteFrom('data_keys').execute();
    await database.db.insertInto('data_keys').values(oldKey).execute();
    await database.db.updateTable('data_keys').set({ sealed_for: 'app_installations.secure_settings.43' }).execute();
    await expectRefused(installation, first);
    await expectRefused({ ...installation, rowId: 43 }, first);
  });

  it('opens values sealed before keys were bound to places until the place is sealed again', async () => {
    // A v1 value as Riposte wrote it before migration 0016: no version in its AAD, its data key bound to no place.
    const legacyKey = { account_id: 7, id: 500, sealed_for: null };
    const dataKey = crypto.randomBytes(KEY_BYTES);
    const { kekVersion, wrappedKey } = keyring.wrapDataKey(dataKey, dataKeyAad(legacyKey));
    await database.db
      .insertInto('data_keys')
      .values({ ...legacyKey, kek_version: kekVersion, wrapped_key: wrappedKey, created_at: '2026-01-01T00:00:00.000Z' })
      .execute();
    const box = encryptAesGcm(dataKey, Buffer.from('xoxb-old-leaked-token'), Buffer.from('7:app_installations:secure_settings:42'));
    const legacy = `v1.500.${encodeBox(box)}`;
    expect(await decryptSecretConfidential(database.db, keyring, { ...installation, sealed: legacy })).toBe('xoxb-old-leaked-token');

    await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    expect((await expectRefused(installation, legacy)).message).toContain('older value');
  });

  it('lands with the transaction that writes the row, or not at all', async () => {
    await expect(
      database.db.transaction().execute(async (tx) => {
        await sealSecret(tx, keyring, clock, { ...installation, plaintext: TOKEN });
        throw new Error('row insert failed');
      }),
    ).rejects.toThrow('row insert failed');
    expect(await database.db.selectFrom('data_keys').select('id').execute()).toEqual([]);
  });

  it('refuses a tampered ciphertext, nonce or tag with a clear message', async () => {
    const sealed = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    for (const part of [2, 3, 4]) {
      const error = await expectRefused(installation, flipBit(sealed, part));
      expect(error.message).toBe(failedAuthentication(installation));
    }
    const parts = sealed.split('.');
    await expectRefused(installation, [...parts.slice(0, 4), (parts[4] ?? '').slice(0, 11)].join('.')); // truncated tag
    await expectRefused(installation, `${sealed}A`);
    await expectRefused(installation, sealed.replace(/^v2\./, 'v3.')); // unknown format version
    await expectRefused(installation, 'not a sealed value');
  });

  it('refuses a secret moved to another row, column, table or account', async () => {
    const sealed = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    for (const moved of [
      { ...installation, rowId: 43 },
      { ...installation, rowId: 4 },
      { ...installation, column: 'settings' },
      { ...installation, table: 'certificates' },
      { ...installation, accountId: 8 },
    ]) {
      const error = await expectRefused(moved, sealed);
      expect(error.message).toBe(failedAuthentication(moved));
    }
  });

  it('refuses a secret moved to another account even with its data key row copied along', async () => {
    const sealed = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    const row = await database.db.selectFrom('data_keys').selectAll().executeTakeFirstOrThrow();
    await database.db
      .insertInto('data_keys')
      .values({ ...row, account_id: 8 })
      .execute();
    await expectRefused({ ...installation, accountId: 8 }, sealed);
  });

  it('refuses a secret pointed at another data key, or whose wrapped key was swapped', async () => {
    const [mine, other] = await sealSecrets(database.db, keyring, clock, [
      { ...installation, plaintext: TOKEN },
      { ...installation, rowId: 43, plaintext: 'other' },
    ]);
    const otherId = Number(other?.split('.')[1]);
    const mineId = Number(mine?.split('.')[1]);
    const repointed = (mine ?? '').replace(/^v2\.\d+\./, `v2.${otherId}.`);
    await expectRefused(installation, repointed);

    const otherRow = await database.db.selectFrom('data_keys').selectAll().where('id', '=', otherId).executeTakeFirstOrThrow();
    await database.db.updateTable('data_keys').set({ wrapped_key: otherRow.wrapped_key }).where('id', '=', mineId).execute();
    await expectRefused(installation, mine ?? '');
  });

  it('refuses a secret whose key version the keyring does not hold, naming the version', async () => {
    const sealed = await sealSecret(database.db, keyring, clock, { ...installation, plaintext: TOKEN });
    await database.db.updateTable('data_keys').set({ kek_version: 9 }).execute();
    const error = await expectRefused(installation, sealed);
    expect(error.message).toContain('wrapped with key version 9, which the keyring does not hold (it holds 1)');

    await database.db.updateTable('data_keys').set({ kek_version: 1 }).execute();
    const stranger = loadKeyring({ keys: `1:${crypto.randomBytes(32).toString('base64')}`, dataDir: database.dataDir });
    await expect(decryptSecretConfidential(database.db, stranger, { ...installation, sealed })).rejects.toMatchObject({
      code: 'SecretIntegrityError',
      message: failedAuthentication(installation),
    });
  });

  it('refuses a malformed location before touching anything', async () => {
    const error = await rejection(sealSecret(database.db, keyring, clock, { ...installation, table: 'users; drop', plaintext: TOKEN }));
    expect(error.code).toBe('InvalidSecretLocation');
    expect(error.message).not.toContain(TOKEN);
    expect(await database.db.selectFrom('data_keys').select('id').execute()).toEqual([]);
  });
});
