/**
 * Courier benchmark: `npm run bench:courier [-- --messages N --pool N]` (default 5,000 messages, 5 connections).
 *
 * 1. Starts a local SMTP server (the `smtp-server` package, in this process)
 *    that accepts every message after reading it whole.
 * 2. Baseline: a plain nodemailer pooled transport sends N copies of one
 *    rendered password-reset message to it, all handed over at once.
 * 3. Courier: N password-reset messages queued in the outbox of a fresh
 *    SQLite data directory (sealed template data, not measured), then sent by
 *    `drainOutbox`: set-based claims under a lease, decryption, rendering in
 *    the recipient's language, the send through a pool of the same size, and
 *    the `sent` record after each 250. No throttle (RIPOSTE_MAIL_RATE=0).
 *
 * Prints messages a second of each and the ratio courier / baseline.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { vendorIdentity } from '../src/config/vendor.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { drainOutbox } from '../src/modules/courier/courier-delivery.js';
import { enqueueMessages, type OutgoingMessage } from '../src/modules/courier/outbox.service.js';
import { renderMessage } from '../src/modules/courier/templates/index.js';
import { systemClock } from '../src/platform/clock.js';
import { loadKeyring } from '../src/platform/crypto/keyring.js';
import { numericArgument } from './bench-population.js';

const messages = numericArgument('messages', 5_000);
const pool = numericArgument('pool', 5);
const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const FROM = 'Riposte <no-reply@riposte.bench>';

const resetData = (n: number) => ({
  user_name: `User ${n}`,
  account_name: 'Bench',
  reset_url: `https://bench.example/access/password_reset?token=${n.toString(36).padStart(24, 'x')}`,
  expires_at: '2026-06-01T13:00:00Z',
});

async function startServer(): Promise<{ server: SMTPServer; url: string; accepted: () => number }> {
  let accepted = 0;
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        accepted += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return { server, url: `smtp://127.0.0.1:${port}`, accepted: () => accepted };
}

async function plainNodemailer(url: string): Promise<number> {
  const { port } = new URL(url);
  const transport = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port: Number(port), secure: false, maxConnections: pool });
  const rendered = renderMessage('password_reset', 'en', resetData(0), vendorIdentity({}));
  const started = performance.now();
  await Promise.all(Array.from({ length: messages }, (_, n) => transport.sendMail({ from: FROM, to: `user${n}@bench.test`, ...rendered })));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return seconds;
}

async function courier(url: string, root: string): Promise<number> {
  const dataDir = path.join(root, 'data');
  const handle = openDatabase({ databaseUrl: undefined, dataDir });
  await migrateToLatest(handle.db);
  const keyring = loadKeyring({ keys: undefined, dataDir, clock: systemClock });
  await handle.db
    .insertInto('accounts')
    .values({
      id: 1,
      subdomain: 'bench',
      name: 'Bench',
      status: 'active',
      activated_at: null,
      host_mapping: null,
      owner_email: 'owner@bench.test',
      security_contact_email: null,
      locale: 'en',
      products_mask: 1,
      password_api_access: 1,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    })
    .execute();
  const outgoing: OutgoingMessage[] = Array.from({ length: messages }, (_, n) => ({
    accountId: 1,
    purpose: 'password_reset',
    recipient: `user${n}@bench.test`,
    locale: n % 2 === 0 ? 'en' : 'fr',
    idempotencyKey: `bench:${n}`,
    data: resetData(n),
  }));
  for (let start = 0; start < outgoing.length; start += 5_000) {
    await handle.db
      .transaction()
      .execute((tx) =>
        enqueueMessages({ clock: systemClock, keyring }, tx, outgoing.slice(start, start + 5_000), handle.capabilities.maxParameters),
      );
  }
  const config = {
    dataDir,
    publicUrl: 'http://localhost:3000',
    smtpUrl: url,
    smtpRequireTls: false,
    smtpPoolSize: pool,
    mailFrom: FROM,
    mailRate: 0,
  };
  const started = performance.now();
  const result = await drainOutbox({
    db: handle.db,
    clock: systemClock,
    keyring,
    config: { ...config, baseDomain: 'localhost', bodyLimitBytes: 1, logLevel: 'silent', trustProxy: false, port: 0, passwordRateLimit: 1 },
  });
  const seconds = (performance.now() - started) / 1000;
  await handle.close();
  if (result.sent !== messages) throw new Error(`the courier sent ${result.sent} of ${messages} messages`);
  return seconds;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-courier-'));
  const smtp = await startServer();
  try {
    process.stdout.write(
      `courier bench: ${count(messages)} messages, pool of ${pool} SMTP connections, SQLite, ${os.cpus().length} CPU(s), Node ${process.version}\n`,
    );
    const baselineSeconds = await plainNodemailer(smtp.url);
    const baselineAccepted = smtp.accepted();
    const courierSeconds = await courier(smtp.url, root);
    if (baselineAccepted !== messages || smtp.accepted() !== 2 * messages)
      throw new Error(`the server accepted ${baselineAccepted} + ${smtp.accepted() - baselineAccepted}, not ${messages} each`);
    process.stdout.write(
      [
        `  plain nodemailer pool: ${baselineSeconds.toFixed(2)} s, ${count(messages / baselineSeconds)} messages/s`,
        `  courier (claim, decrypt, render, send, record): ${courierSeconds.toFixed(2)} s, ${count(messages / courierSeconds)} messages/s`,
        `  ratio courier / plain nodemailer: ${(baselineSeconds / courierSeconds).toFixed(2)}`,
      ].join('\n') + '\n',
    );
  } finally {
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
