import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { insertUser } from '../../../../test/support/identity-fixtures.js';
import type { Account } from '../../../db/schema.js';
import { verifyAuditChains } from '../../../platform/audit/audit.service.js';
import type { FixedClock } from '../../../platform/clock.js';
import { hashBcrypt, hashPbkdf2Sha256, hashSaltedSha1, hashSaltedSha256 } from '../password-formats.js';
import { hashPassword } from './password-hashing.js';
import { wrapLegacyPasswords, type WrapProgress } from './password-wrap.service.js';
import { replacePasswordHashes } from './passwords.repo.js';
import { verifyPasswordSignIn } from './password-sign-in.service.js';
import type { PasswordServiceDeps } from './passwords.service.js';

const salt = Buffer.from('0123456789abcdef');
const passwordOf = (email: string): string => `pw-of-${email}-long-enough`;
const LEGACY = [
  (password: string) => hashSaltedSha1(password, 'x7'),
  (password: string) => hashSaltedSha256(password, 'q,='),
  (password: string) => hashPbkdf2Sha256(password, salt, 1000),
  (password: string) => hashBcrypt(password, 4, salt),
];

describe.each(backends)('wrapping legacy password hashes on %s', (backend) => {
  let database: TestDatabase;
  let deps: PasswordServiceDeps & { clock: FixedClock };
  let accounts: Account[];
  const emails: { account: Account; email: string }[] = [];

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    accounts = [await insertAccount(database.db, 'acme'), await insertAccount(database.db, 'globex')];
    emails.length = 0;
    // 9 legacy users over two accounts (every scheme), and one already on argon2id.
    for (let index = 0; index < 10; index += 1) {
      const account = accounts[index % 2] as Account;
      const email = `user${index}@${account.subdomain}.test`;
      const user = await insertUser(database.db, account, email);
      const password = passwordOf(email);
      const hash = index === 9 ? await hashPassword(password) : (LEGACY[index % LEGACY.length] as (p: string) => string)(password);
      await database.db
        .insertInto('password_credentials')
        .values({
          account_id: account.id,
          user_id: user.id,
          password_hash: hash,
          password_changed_at: '2015-01-01T00:00:00.000Z',
          must_change: 0,
          must_change_reason: null,
          must_change_incident_id: null,
        })
        .execute();
      emails.push({ account, email });
    }
  });
  afterEach(() => database.dispose());

  const hashes = async () =>
    (await database.db.selectFrom('password_credentials').select('password_hash').execute()).map((r) => r.password_hash);
  const wrapEvents = async () =>
    (
      await database.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'password.wrapped')
        .orderBy('account_id')
        .orderBy('seq')
        .execute()
    ).map((e) => ({ accountId: Number(e.account_id), actor: e.actor_type, data: JSON.parse(e.data) as unknown }));

  it('wraps every legacy hash in batches, audits per account without personal data, and every user still signs in', async () => {
    const progress: WrapProgress[] = [];
    const result = await wrapLegacyPasswords(deps, {
      batchSize: 4,
      concurrency: 2,
      actor: { type: 'cli' },
      onProgress: (p) => progress.push(p),
    });
    expect(result).toEqual({
      wrapped: 9,
      skipped: 0,
      accounts: 2,
      schemes: { sha1: 3, sha256: 2, 'pbkdf2-sha256': 2, bcrypt: 2 },
      batches: 3,
    });
    expect(progress).toEqual([
      { done: 0, total: 9 },
      { done: 4, total: 9 },
      { done: 8, total: 9 },
      { done: 9, total: 9 },
    ]);
    const stored = await hashes();
    expect(stored.filter((h) => h.startsWith('$wrapped$'))).toHaveLength(9);
    expect(stored.filter((h) => h.startsWith('$argon2id$'))).toHaveLength(1);
    const events = await wrapEvents();
    expect(events.every((e) => e.actor === 'cli')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('@');
    const counted = events.reduce((sum, e) => sum + (e.data as { count: number }).count, 0);
    expect(counted).toBe(9);
    expect(new Set(events.map((e) => e.accountId))).toEqual(new Set(accounts.map((a) => a.id)));
    for (const account of accounts) expect((await verifyAuditChains(database.db, testKeyring(database), account.id)).ok).toBe(true);

    for (const { account, email } of emails) {
      const signedIn = await verifyPasswordSignIn(deps, {
        account,
        realm: 'core',
        email,
        password: passwordOf(email),
        clientIp: null,
        channel: 'web',
        userAgent: null,
      });
      expect(signedIn.outcome, email).toBe('ok');
      const wrong = await verifyPasswordSignIn(deps, {
        account,
        realm: 'core',
        email,
        password: 'not-the-password',
        clientIp: null,
        channel: 'web',
        userAgent: null,
      });
      expect(wrong.outcome, email).toBe('refused');
    }
    expect((await hashes()).every((h) => h.startsWith('$argon2id$'))).toBe(true);
  });

  it('is idempotent: a second run finds nothing to wrap and writes nothing', async () => {
    await wrapLegacyPasswords(deps, { batchSize: 100 });
    const before = await hashes();
    const eventsBefore = (await wrapEvents()).length;
    expect(await wrapLegacyPasswords(deps, { batchSize: 100 })).toEqual({ wrapped: 0, skipped: 0, accounts: 0, schemes: {}, batches: 0 });
    expect(await hashes()).toEqual(before);
    expect(await wrapEvents()).toHaveLength(eventsBefore);
  });

  it('resumes after an interruption: committed batches stay wrapped, the next run finishes the rest', async () => {
    const interrupted = wrapLegacyPasswords(deps, {
      batchSize: 3,
      onProgress: ({ done }) => {
        if (done > 0) throw new Error('killed');
      },
    });
    await expect(interrupted).rejects.toThrow('killed');
    expect((await hashes()).filter((h) => h.startsWith('$wrapped$'))).toHaveLength(3);
    const resumed = await wrapLegacyPasswords(deps, { batchSize: 3 });
    expect(resumed.wrapped).toBe(6);
    expect((await hashes()).filter((h) => h.startsWith('$wrapped$'))).toHaveLength(9);
  });

  it('never overwrites a hash that changed after it was read', async () => {
    const row = await database.db
      .selectFrom('password_credentials')
      .selectAll()
      .where('password_hash', 'like', '$sha1$%')
      .executeTakeFirstOrThrow();
    const key = { accountId: Number(row.account_id), userId: Number(row.user_id) };
    const changed = await hashPassword('changed-meanwhile-123');
    await database.db.updateTable('password_credentials').set({ password_hash: changed }).where('user_id', '=', key.userId).execute();
    expect(
      await replacePasswordHashes(
        database.db,
        [{ ...key, expectedHash: row.password_hash, passwordHash: '$wrapped$sha1$s=x$argon2id$stale' }],
        '2026-06-01T12:00:00.000Z',
      ),
    ).toEqual([]);
    const after = await database.db
      .selectFrom('password_credentials')
      .select('password_hash')
      .where('user_id', '=', key.userId)
      .executeTakeFirstOrThrow();
    expect(after.password_hash).toBe(changed);
  });

  it('refuses a batch size out of range', async () => {
    await expect(wrapLegacyPasswords(deps, { batchSize: 0 })).rejects.toMatchObject({ status: 422 });
    await expect(wrapLegacyPasswords(deps, { batchSize: 5_001 })).rejects.toMatchObject({ status: 422 });
  });
});
