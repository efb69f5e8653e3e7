import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { ConnectionOptions } from 'node:tls';
import { ensurePrivateDirectory, refuseSharedIfPresent } from '../../db/private-files.js';
import type { CourierConfig } from '../../platform/service-deps.js';

/** One message as the courier hands it to a transport. */
export interface OutgoingMail {
  from: string;
  /** Where answers go (the courier: the vendor's security contact unless `RIPOSTE_MAIL_REPLY_TO` says otherwise); absent: no Reply-To. */
  replyTo?: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<…@domain>`, stable across attempts. */
  messageId: string;
  date: Date;
}

export interface MailTransport {
  /** `smtp` (RIPOSTE_SMTP_URL) or `eml` (files under `<data dir>/outbox/`, the embedded default). */
  readonly kind: 'smtp' | 'eml';
  /** Resolves with the server's answer (`250 …`) once it accepted the message; rejects with nodemailer's error. */
  send(mail: OutgoingMail): Promise<{ response: string }>;
  close(): void;
}

export interface TransportOptions {
  /** Extra TLS settings, such as the CA of a private SMTP server (tests). */
  tls?: ConnectionOptions;
}

/** SMTP timeouts short enough that a hung server frees the sender well within its lease. */
const SMTP_TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 } as const;

function smtpTransport(config: CourierConfig, smtpUrl: string, options: TransportOptions): MailTransport {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const pool: SMTPPool.Options = {
    pool: true,
    host: url.hostname,
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    // STARTTLS: refuse to go on in clear text when the server does not offer it.
    requireTLS: !secure && config.smtpRequireTls,
    maxConnections: config.smtpPoolSize,
    ...SMTP_TIMEOUTS,
    ...(url.username === '' ? {} : { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
  const transporter = nodemailer.createTransport(pool);
  return {
    kind: 'smtp',
    async send(mail) {
      const info = await transporter.sendMail({ ...mail, messageId: mail.messageId });
      return { response: String(info.response) };
    },
    close: () => transporter.close(),
  };
}

/** Messages hold reset links and incident details: the outbox is the owner's alone (0700, files 0600). */
const OUTBOX_RULE = { label: 'Outbox directory', why: 'its messages hold password reset links and incident details' };

/** Refuses to start on an outbox directory (the .eml default) that group or others may read. */
export function refuseSharedOutbox(config: Pick<CourierConfig, 'dataDir' | 'smtpUrl'>): void {
  if (config.smtpUrl === undefined) refuseSharedIfPresent(path.join(config.dataDir, 'outbox'), OUTBOX_RULE);
}

/** Writes each message as `<data dir>/outbox/<id>.eml`; a resend replaces the same file, so nothing appears twice. */
function emlTransport(config: CourierConfig): MailTransport {
  const directory = path.join(config.dataDir, 'outbox');
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'eml',
    async send(mail) {
      const info = await composer.sendMail({ ...mail, messageId: mail.messageId });
      const raw = info.message;
      if (!Buffer.isBuffer(raw)) throw new Error('The message composer returned no buffer.');
      ensurePrivateDirectory(directory, OUTBOX_RULE);
      const file = path.join(directory, `${mail.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9.@-]/g, '_')}.eml`);
      // Written whole, then renamed: a crash never leaves half a message behind.
      const partial = `${file}.partial`;
      await fs.promises.writeFile(partial, raw, { mode: 0o600 });
      // The mode above is narrowed by the umask; this sets it whatever the umask.
      await fs.promises.chmod(partial, 0o600);
      await fs.promises.rename(partial, file);
      return { response: `written to ${file}` };
    },
    close: () => composer.close(),
  };
}

/**
 * The transport the settings choose: SMTP through a connection pool when
 * `RIPOSTE_SMTP_URL` is set (STARTTLS required unless
 * `RIPOSTE_SMTP_REQUIRE_TLS=false`; user and password from the URL for
 * AUTH), else `.eml` files in the data directory.
 *
 * @example
 * const transport = createMailTransport({ ...config, smtpUrl: 'smtp://user:pass@mail.example.com:587' });
 * await transport.send(mail); // { response: '250 2.0.0 OK queued' }
 * transport.close();
 */
export function createMailTransport(config: CourierConfig, options: TransportOptions = {}): MailTransport {
  return config.smtpUrl === undefined ? emlTransport(config) : smtpTransport(config, config.smtpUrl, options);
}

/** Erasure: removes the .eml copies the embedded transport wrote (paths outside `<data dir>/outbox/` are left alone). */
export async function removeOutboxFiles(dataDir: string, files: readonly string[]): Promise<void> {
  const outbox = path.resolve(dataDir, 'outbox') + path.sep;
  for (const file of files.map((name) => path.resolve(name)).filter((name) => name.startsWith(outbox))) {
    await fs.promises.rm(file, { force: true });
  }
}
