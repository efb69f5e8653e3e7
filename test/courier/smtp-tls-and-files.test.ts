import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drainOutbox } from '../../src/modules/courier/courier-delivery.js';
import { createMailTransport } from '../../src/modules/courier/mail-transport.js';
import { messageIdFor } from '../../src/modules/courier/message-id.js';
import { enqueueMessage } from '../../src/modules/courier/outbox.service.js';
import { testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertAccount } from '../support/fixtures.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { CertificateWorkbench, type TestCertificate } from '../support/test-certificates.js';

const CREDENTIALS = { user: 'courier', pass: 's3cret pass/word' };

describe.each(backends)('the courier’s transports on %s', (backend) => {
  let workbench: CertificateWorkbench;
  let ca: TestCertificate;
  let serverCertificate: TestCertificate;
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;

  beforeAll(() => {
    workbench = new CertificateWorkbench();
    ca = workbench.issue({ commonName: 'Courier Test CA', isCa: true, notBefore: '2024-01-01T00:00:00Z' });
    serverCertificate = workbench.issue({
      commonName: 'localhost',
      dnsNames: ['localhost'],
      issuer: ca,
      notBefore: '2024-01-01T00:00:00Z',
    });
  });
  afterAll(() => workbench.dispose());
  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
  });
  afterEach(() => database.dispose());

  async function queue(recipient: string, locale = 'en'): Promise<number> {
    const account = await insertAccount(database.db, `t${Math.floor(Math.random() * 1e9)}`);
    await enqueueMessage(deps, database.db, {
      accountId: account.id,
      purpose: 'password_reset',
      recipient,
      locale,
      idempotencyKey: `password_reset:${recipient}`,
      data: { user_name: 'Ana', account_name: 'Acme', reset_url: 'https://acme.example/reset?token=t', expires_at: '2026-06-01T13:00:00Z' },
    });
    return account.id;
  }

  it('upgrades to TLS with STARTTLS and logs in before sending, and keeps mail queued when the login is refused', async () => {
    const smtp = await new SmtpTestServer({
      tls: { key: serverCertificate.keyPem, cert: serverCertificate.certificatePem },
      auth: CREDENTIALS,
    }).start();
    try {
      const config = { ...deps.config, smtpUrl: smtp.url(CREDENTIALS).replace('127.0.0.1', 'localhost'), smtpRequireTls: true };
      const transport = createMailTransport(config, { tls: { ca: ca.certificatePem } });
      await queue('ana@acme.test');
      expect(await drainOutbox({ ...deps, config }, { transport })).toMatchObject({ sent: 1 });
      transport.close();
      expect(smtp.acceptedTo('ana@acme.test')).toMatchObject([{ secure: true, user: 'courier' }]);

      const wrong = { ...config, smtpUrl: smtp.url({ user: 'courier', pass: 'wrong' }).replace('127.0.0.1', 'localhost') };
      const refused = createMailTransport(wrong, { tls: { ca: ca.certificatePem } });
      await queue('bob@acme.test');
      expect(await drainOutbox({ ...deps, config: wrong }, { transport: refused })).toMatchObject({ sent: 0, retried: 1, failed: 0 });
      refused.close();
      const row = await database.db.selectFrom('messages').selectAll().where('recipient', '=', 'bob@acme.test').executeTakeFirstOrThrow();
      expect(row.state).toBe('queued');
      expect(row.last_error).toContain('EAUTH');
      expect(row.last_error).toContain('535');
    } finally {
      await smtp.stop();
    }
  });

  it('refuses to send in clear text when STARTTLS is required but not offered', async () => {
    const smtp = await new SmtpTestServer().start();
    try {
      const config = { ...deps.config, smtpUrl: smtp.url(), smtpRequireTls: true };
      await queue('ana@acme.test');
      expect(await drainOutbox({ ...deps, config })).toMatchObject({ sent: 0, retried: 1 });
      expect(smtp.accepted).toHaveLength(0);
      const row = await database.db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'queued', attempts: 1 });
      expect(row.last_error).toContain('ETLS');
    } finally {
      await smtp.stop();
    }
  });

  it('writes each message as an .eml file under the data directory by default, once, with its stable Message-ID', async () => {
    expect(deps.config.smtpUrl).toBeUndefined();
    const accountId = await queue('chloe@globex.test', 'fr');
    expect(await drainOutbox(deps)).toMatchObject({ sent: 1 });
    const directory = path.join(database.dataDir, 'outbox');
    const files = fs.readdirSync(directory);
    expect(files).toHaveLength(1);
    const mail = await simpleParser(fs.readFileSync(path.join(directory, files[0] ?? '')));
    const expectedId = messageIdFor(accountId, 'password_reset:chloe@globex.test', deps.config.mailFrom);
    expect(mail.messageId).toBe(expectedId);
    expect(mail.subject).toBe('Réinitialisez votre mot de passe Acme');
    expect(mail.text).toContain('https://acme.example/reset?token=t');
    expect(mail.html).toContain('<a href="https://acme.example/reset?token=t">Choisir un nouveau mot de passe</a>');
    const row = await database.db.selectFrom('messages').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'sent', message_id: expectedId });
    expect(row.last_response).toContain(directory);
    expect(fs.statSync(path.join(directory, files[0] ?? '')).mode & 0o777).toBe(0o600);
    deps.clock.advance(3600_000);
    expect(await drainOutbox(deps)).toMatchObject({ sent: 0 });
    expect(fs.readdirSync(directory)).toHaveLength(1);
  });
});
