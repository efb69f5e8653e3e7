import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, User } from '../../src/db/schema.js';
import { createAdvisory, publishAdvisory } from '../../src/modules/advisories/advisories.service.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { securityIncidentsForAccount } from '../../src/modules/incidents/customer-view.service.js';
import { buildEvidence } from '../../src/modules/incidents/evidence.service.js';
import { addTask, completeTask, getIncident } from '../../src/modules/incidents/incidents.service.js';
import { notifyIncident } from '../../src/modules/notices/incident-notices.service.js';
import { findUserByEmail } from '../../src/modules/users/users.repo.js';
import { addFrenchTranslation } from '../support/advisory-fixtures.js';
import { buildTestApp, testDeps } from '../support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { hostOf, signIn } from '../support/identity-fixtures.js';
import { IN_ORDER } from '../support/in-order.js';
import { SmtpTestServer, type AcceptedMail } from '../support/smtp-test-server.js';
import { createTestStaff, staffSignIn } from '../support/staff-fixtures.js';
import { buildNoticePopulation, type NoticePopulation } from './notice-population.js';

/** Another vendor than the documented default ("Riposte", riposte.localhost): nothing may name the default. */
const VENDOR = {
  vendorName: 'Nimbus Cloud',
  vendorSecurityEmail: 'security@nimbus.example',
  vendorDataProtectionEmail: 'dpo@nimbus.example',
  vendorSecurityPageUrl: 'https://nimbus.example/trust',
  mailReplyTo: 'Nimbus Security <answers@nimbus.example>',
  mailFrom: 'Nimbus Cloud <no-reply@nimbus.example>',
};
const PASSWORD = 'correct horse battery staple 7';
const HOUR = 3_600_000;
const actor = { type: 'cli' as const };

/** The text of a notice between one heading and the next (or the end). */
function section(text: string, heading: string, next?: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `the notice has the section "${heading}"`).toBeGreaterThan(-1);
  const end = next === undefined ? -1 : text.indexOf(`\n${next}\n`, start + 1);
  return text.slice(start + heading.length + 2, end === -1 ? undefined : end);
}

/** Everything a recipient sees of a message, headers included. */
const everything = (entry: AcceptedMail): string =>
  [
    entry.mail.subject ?? '',
    entry.mail.text ?? '',
    typeof entry.mail.html === 'string' ? entry.mail.html : '',
    ...entry.mail.headerLines.map((header) => header.line),
  ].join('\n');

describe.each(backends)(
  'notices that say everything the customer must know, over real SMTP on %s, in order: each test builds on the ones before',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let deps: ReturnType<typeof testDeps>;
    let app: FastifyInstance;
    let smtp: SmtpTestServer;
    let population: NoticePopulation;
    let users: Record<'ana' | 'bob' | 'chloe', User>;
    let accounts: Record<'acme' | 'globex', Account>;
    let advisoryId: number;
    const taskIds: Record<'forensics' | 'police' | 'retro' | 'keys', number> = { forensics: 0, police: 0, retro: 0, keys: 0 };

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      smtp = await new SmtpTestServer().start();
      deps = testDeps(database);
      deps.config = { ...deps.config, ...VENDOR, smtpUrl: smtp.url() };
      app = await buildTestApp(deps);
      population = await buildNoticePopulation(deps);
      accounts = { acme: population.accounts.acme, globex: population.accounts.globex };
      const userOf = async (account: Account, email: string): Promise<User> => {
        const user = await findUserByEmail(deps.db, account.id, 'core', email);
        if (user === undefined) throw new Error(`no user ${email}`);
        return user;
      };
      users = {
        ana: await userOf(accounts.acme, 'ana@acme.test'),
        bob: await userOf(accounts.acme, 'bob@acme.test'),
        chloe: await userOf(accounts.globex, 'chloe@globex.test'),
      };
      // Ana and Chloé know their passwords (an integration of theirs does); Bob's is a placeholder.
      const passwordHash = await hashPassword(PASSWORD);
      for (const user of [users.ana, users.chloe])
        await deps.db
          .updateTable('password_credentials')
          .set({ password_hash: passwordHash })
          .where('account_id', '=', user.account_id)
          .where('user_id', '=', user.id)
          .execute();
    });
    afterAll(async () => {
      await app.close();
      await smtp.stop();
      await database.dispose();
    });

    const callApiWithPassword = (account: Account, email: string, password: string) =>
      app.inject({
        url: '/api/v2/users/me.json',
        headers: { host: hostOf(account), authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` },
      });
    const apiUsedAt = async (user: User): Promise<string | null> =>
      (
        await deps.db
          .selectFrom('password_credentials')
          .select('api_used_at')
          .where('account_id', '=', user.account_id)
          .where('user_id', '=', user.id)
          .executeTakeFirstOrThrow()
      ).api_used_at;

    it('records a right password on the API’s Basic auth per user, writing at most once an hour', async () => {
      const started = deps.clock.now().toISOString();
      expect(await apiUsedAt(users.ana)).toBeNull();
      expect((await callApiWithPassword(accounts.acme, 'ana@acme.test', PASSWORD)).statusCode).toBe(200);
      expect(await apiUsedAt(users.ana)).toBe(started);
      // A busy integration: within the hour nothing more is written.
      deps.clock.advance(30 * 60_000);
      expect((await callApiWithPassword(accounts.acme, 'ana@acme.test', PASSWORD)).statusCode).toBe(200);
      expect(await apiUsedAt(users.ana)).toBe(started);
      // A wrong password is no use of the channel.
      deps.clock.advance(31 * 60_000);
      expect((await callApiWithPassword(accounts.acme, 'ana@acme.test', 'not the password')).statusCode).toBe(401);
      expect(await apiUsedAt(users.ana)).toBe(started);
      expect((await callApiWithPassword(accounts.acme, 'ana@acme.test', PASSWORD)).statusCode).toBe(200);
      expect(await apiUsedAt(users.ana)).toBe(deps.clock.now().toISOString());
      expect((await callApiWithPassword(accounts.globex, 'chloe@globex.test', PASSWORD)).statusCode).toBe(200);
      expect(await apiUsedAt(users.chloe)).toBe(deps.clock.now().toISOString());
      // Bob's integration last called in February: more than 90 days before the notices.
      await deps.db
        .updateTable('password_credentials')
        .set({ api_used_at: '2026-02-01T00:00:00.000Z' })
        .where('account_id', '=', users.bob.account_id)
        .where('user_id', '=', users.bob.id)
        .execute();
      // Now the campaign's batches flag the targets.
      await deps.jobs.start();
      await deps.jobs.drain();
    });

    it('marks a task public when it is completed over the ops API; the console’s done without a body keeps it internal', async () => {
      const incidentId = population.incidentId;
      for (const [key, title] of [
        ['forensics', 'Forensic firm engaged'],
        ['police', 'Law enforcement informed'],
        ['retro', 'Internal retrospective held'],
        ['keys', 'Signing keys rotated'],
      ] as const)
        taskIds[key] = (await addTask(deps, { incidentId, title, actor })).id;
      const olga = await createTestStaff(deps, 'olga@vendor.test', 'operator');
      /** An operator signs in an hour before `at` (a TOTP code works once) and is at work at `at`. */
      const operatorAt = async (at: string) => {
        deps.clock.set(new Date(Date.parse(at) - HOUR));
        const operator = await staffSignIn(app, deps.clock, olga);
        deps.clock.set(at);
        return (taskId: number, payload?: object) =>
          app.inject({
            method: 'POST',
            url: `/ops/v1/incidents/${incidentId}/tasks/${taskId}/done`,
            headers: operator.headers,
            ...(payload === undefined ? {} : { payload }),
          });
      };

      const done = await operatorAt('2026-06-02T09:00:00.000Z');
      expect((await done(taskIds.forensics, { public: 'yes' })).statusCode).toBe(400);
      expect((await done(taskIds.forensics, { public: true })).statusCode).toBe(200);
      // The console posts no body at all.
      expect((await (await operatorAt('2026-06-03T09:00:00.000Z'))(taskIds.retro)).statusCode).toBe(200);
      // The CLI's `incident task done ID TASK --public` (src/cli/incident.test.ts) calls the same service.
      deps.clock.set('2026-06-04T15:30:00.000Z');
      await completeTask(deps, { incidentId, taskId: taskIds.police, public: true, actor });

      const tasks = (await getIncident(deps, incidentId)).tasks;
      const byId = (id: number) => tasks.find((task) => task.id === id);
      expect(byId(taskIds.forensics)).toMatchObject({ public: true, doneAt: '2026-06-02T09:00:00.000Z' });
      expect(byId(taskIds.police)).toMatchObject({ public: true, doneAt: '2026-06-04T15:30:00.000Z' });
      expect(byId(taskIds.retro)).toMatchObject({ public: false, doneAt: '2026-06-03T09:00:00.000Z' });
      expect(byId(taskIds.keys)).toMatchObject({ public: false, doneAt: null });
      const timeline = (await getIncident(deps, incidentId)).timeline.filter((event) => event.kind === 'task_completed');
      expect(timeline.map((event) => event.data)).toEqual([
        { task_id: taskIds.forensics, public: true },
        { task_id: taskIds.retro, public: false },
        { task_id: taskIds.police, public: true },
      ]);
    });

    let notified: Promise<void> | undefined;
    /** Publishes the incident's advisory, notifies customers and users, and delivers everything over SMTP: once. */
    const notices = (): Promise<void> => {
      notified ??= (async () => {
        deps.clock.set('2026-06-05T08:00:00.000Z');
        ({ id: advisoryId } = await createAdvisory(deps, {
          title: 'Database copy of 2016',
          body: 'A copy leaked.',
          incidentId: population.incidentId,
          actor,
        }));
        await addFrenchTranslation(deps, advisoryId);
        await publishAdvisory(deps, advisoryId, actor);
        await notifyIncident(deps, { incidentId: population.incidentId, users: true, actor });
        await deps.jobs.drain();
        expect(smtp.accepted).toHaveLength(8);
      })();
      return notified;
    };
    const customerNotice = (recipient: string): AcceptedMail => {
      const [entry] = smtp.acceptedTo(recipient).filter((mail) => (mail.mail.text ?? '').includes('/security'));
      if (entry === undefined) throw new Error(`no customer notice to ${recipient}`);
      return entry;
    };
    const userNotice = (recipient: string): AcceptedMail => {
      const [entry] = smtp.acceptedTo(recipient);
      if (entry === undefined) throw new Error(`no user notice to ${recipient}`);
      return entry;
    };

    it('tells each customer that password integrations must be set up again, with its users who used one in 90 days (en, fr)', async () => {
      await notices();
      const acme = section(customerNotice('owner@acme.test').mail.text ?? '', 'What you should do', 'Your account’s security page:');
      expect(acme).toContain(
        'Set up again every integration that calls our API with an email address and password (Basic auth email:password)',
      );
      // Ana called in June; Bob's call of February is older than 90 days.
      expect(acme).toContain('1 of your users called the API this way in the last 90 days.');
      expect(acme).toContain(
        'API tokens and OAuth tokens keep working, and users who sign in through single sign-on (SSO) are not affected.',
      );
      const globex = section(
        customerNotice('owner@globex.test').mail.text ?? '',
        'Ce que vous devez faire',
        'La page de sécurité de votre compte :',
      );
      expect(globex).toContain('(authentification Basic e-mail:mot de passe)');
      expect(globex).toContain('1 de vos utilisateurs a appelé l’API de cette façon au cours des 90 derniers jours.');
      expect(globex).toContain('les utilisateurs qui se connectent par authentification unique (SSO) ne sont pas concernés');
      const initech = section(customerNotice('owner@initech.test').mail.text ?? '', 'What you should do', 'Your account’s security page:');
      expect(initech).toContain('None of your users called the API this way in the last 90 days.');
      // The HTML says the same, escaped.
      expect(customerNotice('owner@acme.test').mail.html).toContain('1 of your users called the API this way in the last 90 days.');
    });

    it('tells each user the same: in person to those who used it in the last 90 days, in general to the others (en, fr)', async () => {
      await notices();
      const ana = userNotice('ana@acme.test').mail.text ?? '';
      expect(ana).toContain('You called our API with your email address and password (Basic auth) as recently as 1 June 2026.');
      expect(ana).toContain('set it up again with the new password, or better, switch it to an API token or OAuth');
      const bob = userNotice('bob@acme.test').mail.text ?? '';
      expect(bob).not.toContain('You called our API');
      expect(bob).toContain(
        'If you connect to our API with your email address and password (Basic auth), set that connection up again with the new password',
      );
      const chloe = userNotice('chloe@globex.test').mail.text ?? '';
      expect(chloe).toContain(
        'Vous avez appelé notre API avec votre adresse e-mail et votre mot de passe (authentification Basic), encore le 1 juin 2026.',
      );
      for (const text of [ana, bob])
        expect(text).toContain(
          'API tokens and OAuth connections (connected apps) keep working. Users who sign in through single sign-on (SSO) are not affected.',
        );
      expect(chloe).toContain('Les jetons d’API et les connexions OAuth (applications connectées) continuent de fonctionner.');
    });

    it('names the configured vendor and its contacts, answers go to the configured Reply-To, and nothing names the default vendor', async () => {
      await notices();
      for (const entry of smtp.accepted) {
        expect(entry.mail.replyTo?.value).toEqual([{ address: 'answers@nimbus.example', name: 'Nimbus Security' }]);
        expect(entry.mail.from?.value).toEqual([{ address: 'no-reply@nimbus.example', name: 'Nimbus Cloud' }]);
        expect(entry.mail.text).toContain('security@nimbus.example');
        expect(entry.mail.text).toMatch(/The Nimbus Cloud security team|L’équipe sécurité de Nimbus Cloud/);
        expect(everything(entry), `mail to ${entry.to.join(', ')}`).not.toMatch(/riposte/i);
      }
      const acme = customerNotice('security@acme.test').mail;
      expect(acme.text).toContain(
        'Questions? Reply to this message or write to our security team at security@nimbus.example; a person will answer.',
      );
      expect(acme.text).toContain(
        'For data-protection questions, such as your own notification under the GDPR, write to dpo@nimbus.example.',
      );
      expect(acme.text).toContain('How Nimbus Cloud protects your data (our security programme):\nhttps://nimbus.example/trust');
      expect(acme.html).toContain('<a href="https://nimbus.example/trust">');
      const globex = customerNotice('owner@globex.test').mail.text ?? '';
      expect(globex).toContain('écrivez à notre équipe sécurité à security@nimbus.example');
      expect(globex).toContain('écrivez à dpo@nimbus.example.');
      expect(globex).toContain('Comment Nimbus Cloud protège vos données (notre programme de sécurité) :\nhttps://nimbus.example/trust');
      expect(userNotice('chloe@globex.test').mail.text).toContain('L’équipe sécurité de Nimbus Cloud');

      // The evidence's processor contact point, and the public advisory the notices link to.
      const evidence = await buildEvidence(deps, population.incidentId, 'acme');
      expect(evidence.contact_points.processor).toEqual({
        name: 'Nimbus Cloud',
        email: 'security@nimbus.example',
        data_protection_email: 'dpo@nimbus.example',
        security_programme_url: 'https://nimbus.example/trust',
      });
      const admin = await findUserByEmail(deps.db, accounts.acme.id, 'core', 'root@acme.test');
      if (admin === undefined) throw new Error('no admin');
      const session = await signIn(deps, accounts.acme, admin);
      const evidencePage = await app.inject({
        url: `/api/v2/security/incidents/${population.incidentId}/evidence?format=html`,
        headers: { host: session.headers.host, cookie: session.cookie },
      });
      expect(evidencePage.body).toContain('dpo@nimbus.example');
      for (const url of [
        `/api/v2/security/incidents/${population.incidentId}/evidence.json`,
        `/api/v2/security/incidents/${population.incidentId}/evidence?format=html`,
      ]) {
        const response = await app.inject({ url, headers: { host: session.headers.host, cookie: session.cookie } });
        expect(response.statusCode).toBe(200);
        expect(response.body, url).not.toMatch(/riposte/i);
      }
      expect(customerNotice('owner@acme.test').mail.text).toContain(`http://localhost:3000/hc/en/articles/${advisoryId}`);
      for (const url of [`/hc/en/articles/${advisoryId}`, `/hc/fr/articles/${advisoryId}`, `/hc/en/articles/${advisoryId}/updates.atom`]) {
        const response = await app.inject({ url });
        expect(response.statusCode, url).toBe(200);
        expect(response.body, url).toMatch(/Nimbus Cloud security advisories|Avis de sécurité Nimbus Cloud/);
        expect(response.body, url).not.toMatch(/riposte/i);
      }
    });

    it('lists the public tasks with their dates under what we have done: the notice (en, fr), the customer view and the evidence', async () => {
      await notices();
      const acme = section(customerNotice('owner@acme.test').mail.text ?? '', 'What we have done', 'What you should do');
      expect(acme).toContain('  - 2 June 2026: Forensic firm engaged\n  - 4 June 2026: Law enforcement informed\n');
      expect(acme).not.toMatch(/Internal retrospective|Signing keys/);
      const globex = section(customerNotice('owner@globex.test').mail.text ?? '', 'Ce que nous avons fait', 'Ce que vous devez faire');
      expect(globex).toContain('  - 2 juin 2026 : Forensic firm engaged\n  - 4 juin 2026 : Law enforcement informed\n');
      expect(customerNotice('owner@globex.test').mail.html).toContain('<li>4 juin 2026 : Law enforcement informed</li>');

      const actionsTaken = [
        { title: 'Forensic firm engaged', done_at: '2026-06-02T09:00:00.000Z' },
        { title: 'Law enforcement informed', done_at: '2026-06-04T15:30:00.000Z' },
      ];
      const admin = await findUserByEmail(deps.db, accounts.acme.id, 'core', 'root@acme.test');
      if (admin === undefined) throw new Error('no admin');
      const session = await signIn(deps, accounts.acme, admin);
      const view = await app.inject({
        url: '/api/v2/security/incidents.json',
        headers: { host: session.headers.host, cookie: session.cookie },
      });
      expect(view.statusCode).toBe(200);
      expect(view.json<{ incidents: Array<{ actions_taken: unknown }> }>().incidents[0]?.actions_taken).toEqual(actionsTaken);
      expect(await securityIncidentsForAccount(deps, accounts.globex.id)).toMatchObject({ incidents: [{ actions_taken: actionsTaken }] });
      const evidence = await app.inject({
        url: `/api/v2/security/incidents/${population.incidentId}/evidence.json`,
        headers: { host: session.headers.host, cookie: session.cookie },
      });
      const evidenceJson = evidence.json<{ measures_taken: { actions_taken: unknown }; timeline: Array<{ summary: string }> }>();
      expect(evidenceJson.measures_taken.actions_taken).toEqual(actionsTaken);
      // The timeline shows the public tasks' completions, not the operators' internal work list.
      const summaries = evidenceJson.timeline.map((event) => event.summary);
      expect(summaries).toContain(`Task ${taskIds.police} done: Law enforcement informed`);
      expect(summaries.join('\n')).not.toMatch(/Internal retrospective|Signing keys/);
      const page = await app.inject({
        url: `/api/v2/security/incidents/${population.incidentId}/evidence?format=html`,
        headers: { host: session.headers.host, cookie: session.cookie },
      });
      expect(page.body).toContain('<td>Law enforcement informed</td><td>done 2026-06-04T15:30:00.000Z</td>');
      expect(page.body).not.toContain('Internal retrospective');
    });
  },
);
