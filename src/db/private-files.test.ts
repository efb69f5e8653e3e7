import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { openRuntime } from '../main.js';
import { createMailTransport, type OutgoingMail } from '../modules/courier/mail-transport.js';
import { testConfig } from '../../test/support/app.js';
import { AppError } from '../errors.js';

const mailNumbered = (n: number): OutgoingMail => ({
  from: 'a@riposte.test',
  to: 'b@acme.test',
  subject: 'Hi',
  text: 'Hello',
  html: '<p>Hello</p>',
  date: new Date('2026-06-01T12:00:00Z'),
  messageId: `<m${n}@riposte.test>`,
});

const modeOf = (target: string): number => fs.statSync(target).mode & 0o777;

/** The AppError `run` throws (a test fails if it throws none). */
function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe.skipIf(process.platform === 'win32')('private files of the embedded default', () => {
  let root: string;
  let previousUmask: number;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-private-'));
    // The most permissive umask: modes must come from Riposte, not from the environment.
    previousUmask = process.umask(0);
  });
  afterEach(() => {
    process.umask(previousUmask);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('creates the data directory 0700 and the database with its -wal and -shm files 0600, whatever the umask', async () => {
    const dataDir = path.join(root, 'data');
    const handle = openDatabase({ databaseUrl: undefined, dataDir });
    try {
      // A write brings the -wal and -shm files into being.
      handle.sqlite?.exec('CREATE TABLE probe (x INTEGER)');
      expect(modeOf(dataDir)).toBe(0o700);
      for (const name of ['riposte.sqlite', 'riposte.sqlite-wal', 'riposte.sqlite-shm'])
        expect(modeOf(path.join(dataDir, name)), name).toBe(0o600);
    } finally {
      await handle.close();
    }
  });

  it('refuses a data directory, a database file or a -wal file that group or others may read, naming the chmod', async () => {
    const dataDir = path.join(root, 'data');
    await openDatabase({ databaseUrl: undefined, dataDir }).close();
    fs.chmodSync(dataDir, 0o755);
    const directory = refusal(() => openDatabase({ databaseUrl: undefined, dataDir }));
    expect(directory.code).toBe('InsecureFileMode');
    expect(directory.message).toContain(`chmod 700 ${dataDir}`);
    fs.chmodSync(dataDir, 0o700);

    const file = path.join(dataDir, 'riposte.sqlite');
    fs.chmodSync(file, 0o644);
    expect(refusal(() => openDatabase({ databaseUrl: undefined, dataDir })).message).toContain(`chmod 600 ${file}`);
    fs.chmodSync(file, 0o600);

    const wal = `${file}-wal`;
    fs.writeFileSync(wal, '', { mode: 0o640 });
    expect(refusal(() => openDatabase({ databaseUrl: undefined, dataDir })).message).toContain(`chmod 600 ${wal}`);
  });

  it('writes the courier outbox 0700 and its .eml files 0600, and refuses a shared outbox', async () => {
    const dataDir = path.join(root, 'data');
    const transport = createMailTransport({ ...testConfig, dataDir });
    try {
      await transport.send(mailNumbered(1));
      const outbox = path.join(dataDir, 'outbox');
      expect(modeOf(outbox)).toBe(0o700);
      const [eml] = fs.readdirSync(outbox);
      expect(modeOf(path.join(outbox, eml ?? ''))).toBe(0o600);

      fs.chmodSync(outbox, 0o755);
      await expect(transport.send(mailNumbered(2))).rejects.toThrow(`chmod 700 ${outbox}`);
      // And the server refuses to start on it.
      await expect(openRuntime({}, { RIPOSTE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' })).rejects.toThrow(`chmod 700 ${outbox}`);
    } finally {
      transport.close();
    }
  });
});
