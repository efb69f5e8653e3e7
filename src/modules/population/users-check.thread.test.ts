import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImportedUser } from './import-lines.parser.js';
import { fromUserColumns, toUserColumns } from './user-columns.js';
import { UsersCheckThread } from './users-check.thread.js';

const user = (account: string, email: string): string =>
  JSON.stringify({
    account,
    realm: 'core',
    role: 'end-user',
    name: email,
    email,
    created_at: '2016-01-01T00:00:00Z',
    sso: false,
    products: ['support'],
  });

function usersFile(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-users-check-'));
  const file = path.join(dir, 'users.jsonl');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('UsersCheckThread', () => {
  it('hands over the users that passed in file order, a batch at a time, and their problems at the end', async () => {
    const lines = [
      ...Array.from({ length: 10 }, (_, i) => user('acme', `u${i}@acme.test`)),
      '{"account": "acme"',
      user('acme', 'u0@acme.test'),
      user('globex', 'g@globex.test'),
    ];
    const thread = UsersCheckThread.start({
      usersFile: usersFile(lines),
      accountLines: [['acme', 1]],
      rowsPerBatch: 3,
      batchesAhead: 1,
      sendRows: true,
    });
    const batches: string[][] = [];
    const named: string[] = [];
    let lineCount = 0;
    try {
      for await (const batch of thread.batches()) {
        batches.push(batch.users.map((u) => u.email));
        named.push(...batch.named);
        lineCount += batch.lines;
        // globex is in neither accounts.jsonl nor the database.
        expect(await thread.settle(batch.named, () => Promise.resolve(new Set<string>()))).toBe(batch.named.length);
      }
      const problems = await thread.finish(() => Promise.resolve(new Set<string>()));
      expect(problems.total).toBe(3);
      expect(problems.kept.map((problem) => [problem.line, problem.field ?? 'json'])).toEqual([
        [11, 'json'],
        [12, 'email'],
        [13, 'account'],
      ]);
    } finally {
      await thread.close();
    }
    expect(batches.flat()).toEqual([...Array.from({ length: 10 }, (_, i) => `u${i}@acme.test`), 'g@globex.test']);
    expect(batches.slice(0, 3).map((batch) => batch.length)).toEqual([3, 3, 3]);
    expect(named).toEqual(['globex']);
    expect(lineCount).toBe(13);
  });

  it('refuses, rather than waits, when the thread cannot read the file', async () => {
    const thread = UsersCheckThread.start({
      usersFile: path.join(os.tmpdir(), 'riposte-no-such-dir', 'users.jsonl'),
      accountLines: [],
      rowsPerBatch: 3,
      batchesAhead: 1,
      sendRows: true,
    });
    try {
      await expect(
        (async () => {
          for await (const batch of thread.batches()) void batch;
        })(),
      ).rejects.toThrow(/ENOENT/);
    } finally {
      await thread.close();
    }
  });

  it('carries every field of a user across as columns and back, products as the set they are', () => {
    const users: ImportedUser[] = [
      {
        account: 'acme',
        realm: 'core',
        role: 'agent',
        name: 'Ana',
        email: 'ana@acme.test',
        phone: '+1 555 0100',
        locale: 'fr-CA',
        created_at: '2015-01-01T00:00:00.000Z',
        password_hash: '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
        password_changed_at: '2015-02-01T00:00:00.000Z',
        sso: false,
        active: true,
        products: ['chat', 'support'],
      },
      {
        account: 'globex',
        realm: 'sell',
        role: 'end-user',
        name: 'Bo',
        email: 'bo@globex.test',
        phone: null,
        locale: null,
        created_at: '2016-01-01T00:00:00.000Z',
        password_hash: null,
        password_changed_at: null,
        sso: true,
        active: false,
        products: [],
      },
    ];
    const back = fromUserColumns(structuredClone(toUserColumns(users)));
    expect(back).toEqual([{ ...users[0], products: ['support', 'chat'] }, users[1]]);
    expect(fromUserColumns(toUserColumns([]))).toEqual([]);
  });
});
