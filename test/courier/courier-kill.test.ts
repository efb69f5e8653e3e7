import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drainOutbox, SENDING_LEASE_MS } from '../../src/modules/courier/courier-delivery.js';
import { enqueueMessages, type OutgoingMessage } from '../../src/modules/courier/outbox.service.js';
import { FixedClock } from '../../src/platform/clock.js';
import { testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';

const MESSAGES = 30;
const HELD = 'r10@kill.test';

function startSender(database: TestDatabase, smtpUrl: string): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RIPOSTE_DATA_DIR: database.dataDir,
    RIPOSTE_SMTP_URL: smtpUrl,
    RIPOSTE_SMTP_REQUIRE_TLS: 'false',
    RIPOSTE_SMTP_POOL_SIZE: '1',
    RIPOSTE_MAIL_RATE: '0',
    RIPOSTE_MAIL_FROM: 'Riposte <no-reply@riposte.test>',
  };
  delete env.DATABASE_URL;
  if (database.databaseUrl !== undefined) env.DATABASE_URL = database.databaseUrl;
  return spawn(process.execPath, ['--import', 'tsx', path.resolve('test/fixtures/courier-drainer.ts')], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe.each(backends)('a courier sender killed with SIGKILL on %s', (backend) => {
  let database: TestDatabase;
  let smtp: SmtpTestServer;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    smtp = await new SmtpTestServer().start();
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await smtp.stop();
    await database.dispose();
  });

  it('while the server holds a DATA reply: after restart nothing is lost and nothing is sent twice', async () => {
    const queuedAt = new FixedClock(new Date().toISOString());
    const deps = testDeps(database, queuedAt);
    deps.config = { ...deps.config, smtpUrl: smtp.url(), smtpPoolSize: 1, mailFrom: 'Riposte <no-reply@riposte.test>' };
    const account = await insertAccount(database.db, 'kill');
    const messages: OutgoingMessage[] = Array.from({ length: MESSAGES }, (_, n) => ({
      accountId: account.id,
      purpose: 'password_reset',
      recipient: `r${n}@kill.test`,
      locale: 'en',
      idempotencyKey: `password_reset:kill-${n}`,
      data: {
        user_name: `User ${n}`,
        account_name: 'Kill',
        reset_url: `https://kill.example/reset?n=${n}`,
        expires_at: '2026-06-01T13:00:00Z',
      },
    }));
    expect(await enqueueMessages({ clock: queuedAt, keyring: deps.keyring }, database.db, messages, 32_000)).toBe(MESSAGES);
    smtp.plan(HELD, 'hold');

    const sender = startSender(database, smtp.url());
    child = sender;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => sender.once('exit', (_code, signal) => resolve(signal)));
    await smtp.whenHeld();
    sender.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    child = undefined;
    smtp.releaseHeld();

    const states = await database.db.selectFrom('messages').select(['recipient', 'state']).execute();
    const stateOf = (recipient: string) => states.find((row) => row.recipient === recipient)?.state;
    expect(stateOf(HELD)).toBe('sending');
    const sentBefore = states.filter((row) => row.state === 'sent').length;
    expect(sentBefore).toBe(smtp.accepted.length);
    expect(sentBefore).toBeLessThan(MESSAGES);

    // Restart while the dead sender's lease still runs: its messages are left alone, the rest go out.
    deps.clock.set(new Date().toISOString());
    await drainOutbox(deps);
    expect(smtp.attempts.get(HELD)).toBe(1);
    const stillHeld = await database.db.selectFrom('messages').select('recipient').where('state', '=', 'sending').execute();
    expect(stillHeld.map((row) => row.recipient)).toContain(HELD);

    // Once the lease has run out they are taken up again.
    deps.clock.advance(SENDING_LEASE_MS + 1_000);
    await drainOutbox(deps);
    const rows = await database.db.selectFrom('messages').select(['recipient', 'state', 'message_id']).execute();
    expect(rows.every((row) => row.state === 'sent')).toBe(true);
    expect(smtp.accepted).toHaveLength(MESSAGES);
    const ids = smtp.accepted.map((entry) => entry.messageId);
    expect(new Set(ids).size).toBe(MESSAGES);
    expect(new Set(rows.map((row) => row.message_id))).toEqual(new Set(ids));
    for (const message of messages) expect(smtp.acceptedTo(message.recipient), message.recipient).toHaveLength(1);
  });
});
