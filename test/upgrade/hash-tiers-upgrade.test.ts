import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateDownOne, migrateToLatest } from '../../src/db/migrate.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1 } from '../../src/modules/auth/password-formats.js';

const DIGIT_SALT = Buffer.from([0x03, 0x40, ...Array<number>(14).fill(0x34)]);
import { hashPassword, wrapLegacyHash } from '../../src/modules/auth/passwords/password-hashing.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { insertUser } from '../support/identity-fixtures.js';

const salt = crypto.randomBytes(16);
const password = 'correct horse battery staple';

/**
 * Migration 0021 fills the superseded tier of hashes replaced before it from
 * the audit trail, erring towards the weak tier: wrapped hashes take their
 * inner scheme's tier and the account's last `password.wrapped` event as
 * their time (none left: unknown, weak at every exposure); argon2id hashes
 * upgraded at sign-in since their password was set take the `from` scheme of
 * their `password.upgraded` event.
 */
describe.each(backends)('upgrading to hash tiers (0021) on %s', (backend) => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    let reverted: string | undefined;
    do reverted = await migrateDownOne(database.db);
    while (reverted !== undefined && reverted !== '0021-hash-tiers');
  });
  afterEach(() => database.dispose());

  it('fills the superseded tier of wrapped and upgraded hashes from the audit trail', async () => {
    const db = database.db;
    const acme = await insertAccount(db, 'acme');
    const globex = await insertAccount(db, 'globex');
    const hashes: Array<[typeof acme, string, string, string]> = [
      [acme, 'wrapped-sha1', (await wrapLegacyHash(hashSaltedSha1(password, 'x7'))) ?? '', '2015-01-01T00:00:00.000Z'],
      [acme, 'wrapped-bcrypt10', (await wrapLegacyHash(hashBcrypt(password, 10, salt))) ?? '', '2015-01-01T00:00:00.000Z'],
      [globex, 'wrapped-no-event', (await wrapLegacyHash(hashBcrypt(password, 5, salt))) ?? '', '2015-01-01T00:00:00.000Z'],
      [acme, 'upgraded-from-sha1', await hashPassword(password), '2015-01-01T00:00:00.000Z'],
      [acme, 'changed-after-upgrade', await hashPassword(password), '2022-01-01T00:00:00.000Z'],
      [acme, 'plain-sha1', hashSaltedSha1(password, 'p1'), '2015-01-01T00:00:00.000Z'],
      // One iteration, then a salt whose base64 has a digit where a sixth iteration digit would be ('$wrapped$pbkdf2-sha256$i=1,s=A0…').
      [acme, 'wrapped-pbkdf2-1', (await wrapLegacyHash(hashPbkdf2Sha256(password, DIGIT_SALT, 1))) ?? '', '2015-01-01T00:00:00.000Z'],
      [
        acme,
        'wrapped-pbkdf2-100k',
        (await wrapLegacyHash(hashPbkdf2Sha256(password, DIGIT_SALT, 100_000))) ?? '',
        '2015-01-01T00:00:00.000Z',
      ],
    ];
    const ids: Record<string, number> = {};
    for (const [account, name, hash, changedAt] of hashes) {
      const user = await insertUser(db, account, `${name}@${account.subdomain}.test`);
      ids[name] = Number(user.id);
      await db
        .insertInto('password_credentials')
        .values({ account_id: account.id, user_id: user.id, password_hash: hash, password_changed_at: changedAt, must_change: 0 })
        .execute();
    }
    // The audit events the services wrote then (their chain is not what this test checks).
    let seq = 0;
    const event = async (accountId: number, action: string, occurredAt: string, target: number | null, data: object) => {
      seq += 1;
      await db
        .insertInto('audit_events')
        .values({
          account_id: accountId,
          seq,
          occurred_at: occurredAt,
          actor_type: 'system',
          actor_id: null,
          action,
          target_type: target === null ? null : 'user',
          target_id: target === null ? null : String(target),
          data: JSON.stringify(data),
          prev_hash: '0'.repeat(64),
          hash: '0'.repeat(64),
        })
        .execute();
    };
    await event(acme.id, 'password.wrapped', '2019-05-01T00:00:00.000Z', null, { count: 3, schemes: { sha1: 2, bcrypt: 1 } });
    await event(acme.id, 'password.wrapped', '2020-02-01T00:00:00.000Z', null, { count: 1, schemes: { sha1: 1 } });
    await event(acme.id, 'password.upgraded', '2021-03-01T00:00:00.000Z', ids['upgraded-from-sha1'] ?? 0, {
      from: 'sha1',
      wrapped: false,
      to: 'argon2id',
    });
    // Upgraded before the password changed again: that old hash is not this password's.
    await event(acme.id, 'password.upgraded', '2021-03-01T00:00:00.000Z', ids['changed-after-upgrade'] ?? 0, {
      from: 'bcrypt',
      wrapped: false,
      to: 'argon2id',
    });

    expect(await migrateToLatest(db)).toContain('0021-hash-tiers');

    const rows = await db
      .selectFrom('password_credentials')
      .select(['user_id', 'superseded_hash_tier', 'hash_superseded_at', 'api_revoked_at'])
      .orderBy('user_id')
      .execute();
    const byName = Object.fromEntries(
      Object.entries(ids).map(([name, id]) => {
        const row = rows.find((r) => Number(r.user_id) === id);
        return [name, [row?.superseded_hash_tier, row?.hash_superseded_at]];
      }),
    );
    expect(byName).toEqual({
      'wrapped-sha1': ['critical', '2020-02-01T00:00:00.000Z'],
      'wrapped-bcrypt10': [null, null],
      'wrapped-no-event': ['high', null],
      'upgraded-from-sha1': ['critical', '2021-03-01T00:00:00.000Z'],
      'changed-after-upgrade': [null, null],
      'plain-sha1': [null, null],
      'wrapped-pbkdf2-1': ['high', '2020-02-01T00:00:00.000Z'],
      'wrapped-pbkdf2-100k': [null, null],
    });
    expect(rows.every((row) => row.api_revoked_at === null)).toBe(true);
  });
});
