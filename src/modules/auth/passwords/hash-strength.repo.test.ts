import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../../../../test/support/identity-fixtures.js';
import type { Account, User } from '../../../db/schema.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256 } from '../password-formats.js';
import { hashPassword, wrapLegacyHash } from './password-hashing.js';
import { hashStrength } from './hash-strength.js';
import { exposedHashTierSql, storedHashTierSql } from './hash-strength.repo.js';
import { wrapLegacyPasswords } from './password-wrap.service.js';
import { verifyPasswordSignIn } from './password-sign-in.service.js';
import { changePassword } from './passwords.service.js';

const salt = crypto.randomBytes(16);
const password = 'correct horse battery staple';
const BEFORE_CUTOFF = '2015-01-01T00:00:00.000Z';

describe.each(backends)('hash tiers in SQL on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let account: Account;
  let next = 0;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    account = await insertAccount(database.db, 'acme');
  });
  afterEach(() => database.dispose());

  async function userWith(hash: string, changedAt = BEFORE_CUTOFF): Promise<User> {
    next += 1;
    const user = await insertUser(database.db, account, `user${next}@acme.test`);
    return insertPasswordCredential(database.db, user, { password_hash: hash, password_changed_at: changedAt });
  }

  const tiersAt = async (asOf: string) =>
    Object.fromEntries(
      (
        await database.db
          .selectFrom('password_credentials as c')
          .select(['c.user_id', storedHashTierSql('c.password_hash').as('stored'), exposedHashTierSql('c', asOf).as('exposed')])
          .execute()
      ).map((row) => [Number(row.user_id), { stored: row.stored, exposed: row.exposed }]),
    );

  it('gives every format the tier the classifier gives it, boundaries included', async () => {
    const hashes = [
      hashSaltedSha1(password, 'x7'),
      hashSaltedSha256(password, 'ab'),
      hashBcrypt(password, 4, salt),
      hashBcrypt(password, 9, salt),
      hashBcrypt(password, 10, salt),
      hashPbkdf2Sha256(password, salt, 1),
      // A digit where a sixth iteration digit would be belongs to the salt: '$pbkdf2-sha256$i=1$NDQ0…'.
      hashPbkdf2Sha256(password, Buffer.alloc(16, '4'), 1),
      hashPbkdf2Sha256(password, salt, 99_999),
      hashPbkdf2Sha256(password, salt, 100_000),
      hashPbkdf2Sha256(password, salt, 1_000_000),
      await hashPassword(password),
      (await wrapLegacyHash(hashSaltedSha1(password, 'x7'))) ?? '',
      (await wrapLegacyHash(hashBcrypt(password, 9, salt))) ?? '',
      '5f4dcc3b5aa765d61d8327deb882cf99',
    ];
    const users = await Promise.all(hashes.map((hash) => userWith(hash)));
    const tiers = await tiersAt('2016-11-01T00:00:00.000Z');
    const expected = hashes.map((hash) => hashStrength(hash).tier);
    expect(expected).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'moderate',
      'high',
      'high',
      'high',
      'moderate',
      'moderate',
      'moderate',
      'moderate',
      'moderate',
      'critical',
    ]);
    expect(users.map((user) => tiers[Number(user.id)]?.stored)).toEqual(expected);
    // Nothing was replaced: exposed as stored.
    expect(users.map((user) => tiers[Number(user.id)]?.exposed)).toEqual(expected);
  });

  it('keeps the weak tier of a hash wrapped or upgraded at or after the exposure time, and drops it with a new password', async () => {
    await userWith(hashSaltedSha1(password, 'x7'));
    const bcrypt9 = await userWith(hashBcrypt(password, 9, salt));
    const pbkdf2 = await userWith(hashPbkdf2Sha256(password, salt, 1_000));
    await userWith(hashBcrypt(password, 10, salt));

    // 2020: wrapped at rest (the sha1, pbkdf2 and bcrypt hashes); 2021: bcrypt-9's user signs in, upgraded to argon2id.
    deps.clock.set('2020-01-01T00:00:00.000Z');
    expect((await wrapLegacyPasswords(deps)).wrapped).toBe(4);
    deps.clock.set('2021-01-01T00:00:00.000Z');
    const signIn = await verifyPasswordSignIn(deps, {
      account,
      realm: 'core',
      email: bcrypt9.email,
      password,
      clientIp: null,
      channel: 'web',
      userAgent: null,
    });
    expect(signIn.outcome).toBe('ok');

    const credentials = await database.db
      .selectFrom('password_credentials')
      .select(['user_id', 'password_hash', 'superseded_hash_tier', 'hash_superseded_at'])
      .orderBy('user_id')
      .execute();
    expect(credentials.map((c) => [c.password_hash.split('$')[1], c.superseded_hash_tier, c.hash_superseded_at])).toEqual([
      ['wrapped', 'critical', '2020-01-01T00:00:00.000Z'],
      // Wrapped in 2020, then upgraded: the first replacement is when the weak hash stopped being stored.
      ['argon2id', 'high', '2020-01-01T00:00:00.000Z'],
      ['wrapped', 'high', '2020-01-01T00:00:00.000Z'],
      // bcrypt at cost 10 was moderate already: nothing to remember.
      ['wrapped', null, null],
    ]);

    // An exposure from 2016: every weak hash was still in place.
    expect(Object.values(await tiersAt('2016-11-01T00:00:00.000Z')).map((t) => t.exposed)).toEqual([
      'critical',
      'high',
      'high',
      'moderate',
    ]);
    // From 2022 on, the copy would hold the wrapped and upgraded hashes: argon2id's tier.
    expect(Object.values(await tiersAt('2022-01-01T00:00:00.000Z')).map((t) => t.exposed)).toEqual([
      'moderate',
      'moderate',
      'moderate',
      'moderate',
    ]);

    // A new password is not the exposed one: what the old one left is dropped.
    await changePassword(deps, {
      account,
      user: pbkdf2,
      newPassword: 'another long passphrase 42',
      actor: { type: 'cli' },
      reason: 'admin',
    });
    const changed = await database.db
      .selectFrom('password_credentials')
      .select(['superseded_hash_tier', 'hash_superseded_at'])
      .where('user_id', '=', pbkdf2.id)
      .executeTakeFirstOrThrow();
    expect(changed).toEqual({ superseded_hash_tier: null, hash_superseded_at: null });
  });
});
