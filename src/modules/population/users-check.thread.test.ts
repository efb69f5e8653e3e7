import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
