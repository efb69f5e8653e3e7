import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drainOutbox } from '../../src/modules/courier/courier-delivery.js';
import { notifyIncident } from '../../src/modules/notices/incident-notices.service.js';
import { notificationTotals } from '../../src/modules/notices/notification-report.service.js';
import { enqueueMessage } from '../../src/modules/courier/outbox.service.js';
import { requeueFailedIncidentMessages } from '../../src/modules/courier/outbox.repo.js';
import { verifyAuditChains } from '../../src/platform/audit/audit.service.js';
import { testDeps, testKeyring } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { requestPasswordReset } from '../../src/modules/auth/sessions/sign-in.service.js';
import { insertAccount } from '../support/fixtures.js';
import { insertUser } from '../support/identity-fixtures.js';
import { SmtpTestServer, type AcceptedMail } from '../support/smtp-test-server.js';
import { buildNoticePopulation } from './notice-population.js';

const OTHER_ACCOUNTS_ITEMS = {
  acme: ['Acme Ticket Bridge', 'help.acme.test'],
  globex: ['Globex Ledger Sync', 'help.globex.test'],
  initech: ['TPS', 'Initech'],
  umbrella: ['Umbrella Hive', 'help.umbrella.test'],
};

function mentionsOnly(mail: AcceptedMail, own: keyof typeof OTHER_ACCOUNTS_ITEMS): void {
  const text = mail.mail.text ?? '';
  for (const item of OTHER_ACCOUNTS_ITEMS[own]) expect(text).toContain(item);
  for (const [other, items] of Object.entries(OTHER_ACCOUNTS_ITEMS)) {
    if (other === own) continue;
    for (const item of items) expect(text, `${own}'s notice names ${other}'s ${item}`).not.toContain(item);
  }
}

describe.each(backends)('the courier over real SMTP on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let smtp: SmtpTestServer;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    smtp = await new SmtpTestServer().start();
    deps = testDeps(database);
    deps.config = { ...deps.config, smtpUrl: smtp.url() };
  });
  afterEach(async () => {
    await smtp.stop();
    await database.dispose();
  });

  it('notifies each affected account with its own installations and certificates, each recipient once, in its language', async () => {
    const population = await buildNoticePopulation(deps);
    await deps.jobs.start();
    await deps.jobs.drain();

    const outcome = await notifyIncident(deps, { incidentId: population.incidentId, users: true, actor: { type: 'cli' } });
    expect(outcome).toMatchObject({ accounts: 3, customers: { queued: 5, alreadyQueued: 0 }, users: { queued: 3, alreadyQueued: 0 } });
    await deps.jobs.drain();

    const byAccount = (subdomain: string) =>
      smtp.accepted.filter((entry) => (entry.mail.text ?? '').includes(`${subdomain}.localhost:3000/security`));
    for (const [subdomain, recipients] of Object.entries(population.recipients)) {
      const received = byAccount(subdomain);
      expect(received.flatMap((entry) => entry.to).sort(), subdomain).toEqual([...recipients].sort());
    }
    for (const entry of byAccount('acme')) {
      mentionsOnly(entry, 'acme');
      expect(entry.mail.subject).toBe('Security incident: what it means for Acme and what to do');
      expect(entry.mail.text).toContain('help.acme.test, uploaded on 1 May 2016, valid until 1 January 2030');
      expect(entry.mail.text).toContain('Acme Ticket Bridge, installed on 1 February 2016: api_key (set on 1 February 2016)');
      expect(entry.mail.text).toContain('We require 2 of your users to choose a new password');
      expect(entry.mail.text).not.toContain('Acme Fresh Hook');
      expect(entry.mail.text).not.toContain('new.acme.test');
      expect(entry.mail.html).toContain('<a href="http://acme.localhost:3000/security">');
    }
    const [globex] = byAccount('globex');
    expect(globex?.mail.subject).toBe('Incident de sécurité : ce qu’il signifie pour Globex et ce qu’il faut faire');
    if (globex !== undefined) mentionsOnly(globex, 'globex');
    expect(globex?.mail.text).toContain('Globex Ledger Sync, installée le 14 juillet 2015');
    const [initech] = byAccount('initech');
    expect(initech?.mail.text).toContain('Initech <b>TPS</b> Relay');
    expect(initech?.mail.html).toContain('Initech &lt;b&gt;TPS&lt;/b&gt; Relay');
    expect(initech?.mail.html).toContain('Initech &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(initech?.mail.html).not.toMatch(/<script|<b>TPS/);
    expect(smtp.accepted.some((entry) => entry.to.some((to) => to.endsWith('umbrella.test')))).toBe(false);

    const userNotices = smtp.accepted.filter(
      (entry) => entry.mail.subject?.includes('password') === true || entry.mail.subject?.includes('mot de passe') === true,
    );
    expect(userNotices.flatMap((entry) => entry.to).sort()).toEqual([...population.rotated].sort());
    expect(smtp.acceptedTo('chloe@globex.test')[0]?.mail.subject).toBe('Action requise : choisissez un nouveau mot de passe pour Globex');

    const again = await notifyIncident(deps, { incidentId: population.incidentId, users: true, actor: { type: 'cli' } });
    expect(again).toMatchObject({ customers: { queued: 0, alreadyQueued: 5 }, users: { queued: 0, alreadyQueued: 3 } });
    await deps.jobs.drain();
    expect(smtp.accepted).toHaveLength(8);
    expect(new Set(smtp.accepted.map((entry) => entry.messageId)).size).toBe(8);
    expect((await notificationTotals(deps, population.incidentId)).totals).toEqual({ total: 8, sent: 8, pending: 0, failed: 0 });
    const audited = await database.db
      .selectFrom('audit_events')
      .select(['actor_type', 'data'])
      .where('action', '=', 'incident.notified')
      .execute();
    expect(audited).toHaveLength(2);
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
  });

  it('sends the password reset mail the sign-in flow queues, with its single-use link', async () => {
    const account = await insertAccount(database.db, 'acme', { name: 'Acme', locale: 'fr' });
    await insertUser(database.db, account, 'ana@acme.test', { name: 'Ana' });
    await requestPasswordReset(deps, {
      account,
      realm: 'core',
      email: 'ana@acme.test',
      resetPageUrl: 'http://acme.localhost:3000/access/password_reset',
    });
    await deps.jobs.start();
    await deps.jobs.drain();
    const [reset] = smtp.acceptedTo('ana@acme.test');
    expect(reset?.mail.subject).toBe('Réinitialisez votre mot de passe Acme');
    expect(reset?.mail.text).toMatch(/http:\/\/acme\.localhost:3000\/access\/password_reset\?token=[A-Za-z0-9_-]{20,}/);
    expect(await messageOf('ana@acme.test')).toMatchObject({ state: 'sent', purpose: 'password_reset' });
  });

  async function queueReset(recipient: string): Promise<{ accountId: number; idempotencyKey: string }> {
    const account = await insertAccount(database.db, `t${Math.floor(Math.random() * 1e9)}`);
    const idempotencyKey = `password_reset:${recipient}`;
    await enqueueMessage(deps, database.db, {
      accountId: account.id,
      purpose: 'password_reset',
      recipient,
      locale: 'en',
      idempotencyKey,
      data: { user_name: 'Ana', account_name: 'Acme', reset_url: 'https://acme.example/reset?token=t', expires_at: '2026-06-01T13:00:00Z' },
    });
    return { accountId: account.id, idempotencyKey };
  }

  const messageOf = (recipient: string) =>
    database.db.selectFrom('messages').selectAll().where('recipient', '=', recipient).executeTakeFirstOrThrow();

  it('retries a temporary failure (451) after a delay, then sends once', async () => {
    smtp.plan('ana@acme.test', { code: 451, message: 'Greylisted, try later' });
    await queueReset('ana@acme.test');
    expect(await drainOutbox(deps)).toMatchObject({ sent: 0, retried: 1, failed: 0, nextWakeUp: '2026-06-01T12:01:00.000Z' });
    expect(await messageOf('ana@acme.test')).toMatchObject({ state: 'queued', attempts: 1, next_attempt_at: '2026-06-01T12:01:00.000Z' });
    expect((await messageOf('ana@acme.test')).last_error).toContain('451');
    expect(await drainOutbox(deps)).toMatchObject({ sent: 0, retried: 0 });

    deps.clock.advance(60_000);
    expect(await drainOutbox(deps)).toMatchObject({ sent: 1, retried: 0, nextWakeUp: null });
    const sent = await messageOf('ana@acme.test');
    expect(sent).toMatchObject({ state: 'sent', attempts: 2, sent_at: '2026-06-01T12:01:00.000Z', lease_expires_at: null });
    expect(sent.last_response).toMatch(/^250 /);
    expect(smtp.attempts.get('ana@acme.test')).toBe(2);
    expect(smtp.acceptedTo('ana@acme.test')).toHaveLength(1);
    expect(smtp.acceptedTo('ana@acme.test')[0]?.messageId).toBe(sent.message_id);
    deps.clock.advance(24 * 3600_000);
    await drainOutbox(deps);
    expect(smtp.attempts.get('ana@acme.test')).toBe(2);
  });

  it('fails a permanent refusal (550) for good, keeping the server’s answer', async () => {
    smtp.plan('nobody@acme.test', { code: 550, message: 'No such mailbox here' });
    await queueReset('nobody@acme.test');
    expect(await drainOutbox(deps)).toMatchObject({ sent: 0, retried: 0, failed: 1, nextWakeUp: null });
    const failed = await messageOf('nobody@acme.test');
    expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
    expect(failed.last_error).toContain('550');
    expect(failed.last_error).toContain('No such mailbox here');
    expect(failed.last_response).toContain('550');
    deps.clock.advance(24 * 3600_000);
    await drainOutbox(deps);
    expect(smtp.attempts.get('nobody@acme.test')).toBe(1);
  });

  it('retries after the server drops the connection mid-message', async () => {
    smtp.plan('bob@acme.test', 'drop');
    await queueReset('bob@acme.test');
    expect(await drainOutbox(deps)).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    const dropped = await messageOf('bob@acme.test');
    expect(dropped.state).toBe('queued');
    expect(dropped.last_error).toMatch(/ECONNECTION|ESOCKET|EPROTOCOL|closed|Connection/i);
    expect(smtp.acceptedTo('bob@acme.test')).toHaveLength(0);
    deps.clock.advance(60_000);
    expect(await drainOutbox(deps)).toMatchObject({ sent: 1 });
    expect(smtp.acceptedTo('bob@acme.test')).toHaveLength(1);
  });

  it('gives up on a temporary failure after the last attempt, saying so', async () => {
    for (let attempt = 0; attempt < 12; attempt += 1) smtp.plan('carl@acme.test', { code: 452, message: 'Mailbox full' });
    await queueReset('carl@acme.test');
    for (let attempt = 0; attempt < 12; attempt += 1) {
      await drainOutbox(deps);
      deps.clock.advance(4 * 3600_000);
    }
    const failed = await messageOf('carl@acme.test');
    expect(failed).toMatchObject({ state: 'failed', attempts: 12 });
    expect(failed.last_error).toMatch(/^Gave up after 12 attempts; last: .*452/);

    // Queued again by an operator, it has a fresh budget: the next 452 is retried after the first delay, not failed.
    await database.db.updateTable('messages').set({ incident_id: 77 }).where('id', '=', failed.id).execute();
    // Mail to an erased user (no address left, see user-erasure.repo.ts) is never queued again.
    await queueReset('erased@acme.test');
    await database.db
      .updateTable('messages')
      .set({ incident_id: 77, state: 'failed', idempotency_key: 'erased:1' })
      .where('recipient', '=', 'erased@acme.test')
      .execute();
    expect(await requeueFailedIncidentMessages(database.db, 77, deps.clock.now().toISOString())).toBe(1);
    smtp.plan('carl@acme.test', { code: 452, message: 'Mailbox full' });
    expect(await drainOutbox(deps)).toMatchObject({ retried: 1, failed: 0 });
    expect(await messageOf('carl@acme.test')).toMatchObject({ state: 'queued', attempts: 13, attempts_at_requeue: 12 });
    deps.clock.advance(60_000);
    expect(await drainOutbox(deps)).toMatchObject({ sent: 1 });
    expect(smtp.acceptedTo('carl@acme.test')).toHaveLength(1);
    expect(await requeueFailedIncidentMessages(database.db, 77, deps.clock.now().toISOString())).toBe(0);
  });
});
