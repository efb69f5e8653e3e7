import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { buildScopePopulation, SCOPE_CUTOFF, SEED_SELECTOR, type ScopePopulation } from '../../../test/support/scope-population.js';
import type { User } from '../../db/schema.js';
import type { SignInAttempt } from '../../platform/sign-in-events/sign-in-event-log.js';
import { createCampaign } from './campaigns.service.js';
import { startCampaign } from './campaign-start.service.js';
import { addExposure } from './exposures.service.js';
import { findIncident } from './incidents.repo.js';
import { declareIncident } from './incidents.service.js';
import { buildTestApp } from '../../../test/support/app.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { createTestStaff, staffSignIn } from '../../../test/support/staff-fixtures.js';
import type { SignInEventsPageWire } from '../auth/sign-in-events/sign-in-events.schema.js';
import { insertUser, signIn } from '../../../test/support/identity-fixtures.js';
import type { SecurityIncidentsWire } from './customer-view.schema.js';
import { securityIncidentsForAccount } from './customer-view.service.js';
import { renderEvidenceHtml } from './evidence.html.js';
import { buildEvidence } from './evidence.service.js';
import { userAgentFamily, useBeforeRotation, type UseBeforeRotation } from './use-before-rotation.service.js';

const actor = { type: 'cli' as const };
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const CHROME_LATER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const EXPOSURE_STARTS = '2026-05-01T00:00:00.000Z';
const ROTATION = '2026-06-01T12:00:00.000Z';

describe('user agent families', () => {
  it.each([
    [CHROME, 'chrome'],
    [CHROME_LATER, 'chrome'],
    [FIREFOX, 'firefox'],
    ['Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', 'safari'],
    ['Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0', 'edge'],
    ['curl/8.5.0', 'curl'],
    ['python-requests/2.31', 'python-requests'],
    [null, 'none'],
  ])('%s → %s', (ua, family) => {
    expect(userAgentFamily(ua)).toBe(family);
  });
});

/**
 * The scope population's acme: ana and dana are the seed selector's targets.
 * Before the exposure, ana signed in from 203.0.113.10 with Chrome, dana from
 * 192.0.2.20 with Firefox. Between the exposure and the rotation: ana from
 * 203.0.113.99 with a later Chrome (familiar), dana twice from 198.51.100.5
 * with curl on the API (new network and family), and once wrongly (not a
 * sign-in); ana with an API token (not a password); bob, no target, with his
 * password. After the rotation, ana again (not before rotation).
 */
describe.each(backends)('use of the exposed password before rotation on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let population: ScopePopulation;
  let use: UseBeforeRotation;
  let users: Record<'ana' | 'dana' | 'bob', User>;
  let incidentId: number;
  let noCampaignYet: UseBeforeRotation | null | undefined;

  const at = (when: string, attempt: Omit<SignInAttempt, 'accountId'>) => {
    deps.clock.set(when);
    deps.signInEvents.record({ accountId: population.accounts.acme.id, ...attempt });
  };
  const success = (user: User, channel: SignInAttempt['channel'], ip: string, userAgent: string) =>
    ({ userId: user.id, channel, outcome: 'succeeded', reason: null, ip, userAgent }) as const;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    population = await buildScopePopulation(database.db);
    const { ana, dana, bob } = population.users;
    if (ana === undefined || dana === undefined || bob === undefined) throw new Error('the scope population lacks a user');
    users = { ana, dana, bob };

    at('2026-04-10T08:00:00.000Z', success(ana, 'web', '203.0.113.10', CHROME));
    at('2026-04-11T08:00:00.000Z', success(dana, 'web', '192.0.2.20', FIREFOX));
    await deps.signInEvents.flush();
    at('2026-05-03T08:00:00.000Z', success(ana, 'web', '203.0.113.99', CHROME_LATER));
    await deps.signInEvents.flush();
    at('2026-05-04T02:00:00.000Z', success(dana, 'password_basic', '198.51.100.5', 'curl/8.5.0'));
    at('2026-05-04T02:00:00.500Z', success(dana, 'password_basic', '198.51.100.5', 'curl/8.5.0'));
    at('2026-05-04T02:01:00.000Z', {
      userId: dana.id,
      channel: 'web',
      outcome: 'failed',
      reason: 'wrong_password',
      ip: '198.51.100.5',
      userAgent: 'curl/8.5.0',
    });
    at('2026-05-05T08:00:00.000Z', success(ana, 'api_token', '203.0.113.10', 'sync/1.0'));
    at('2026-05-06T08:00:00.000Z', success(bob, 'web', '198.51.100.77', FIREFOX));
    await deps.signInEvents.flush();

    deps.clock.set(ROTATION);
    const incident = await declareIncident(deps, {
      title: 'Credential store copied',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: SCOPE_CUTOFF,
      exposureWindow: { startsAt: EXPOSURE_STARTS },
      actor,
    });
    incidentId = incident.id;
    await addExposure(deps, { incidentId: incident.id, category: 'password_hashes', selector: SEED_SELECTOR, actor });
    const before = await securityIncidentsForAccount(deps, population.accounts.acme.id);
    noCampaignYet = 'incidents' in before ? before.incidents[0]?.use_before_rotation : undefined;
    const campaign = await createCampaign(deps, { incidentId: incident.id, selector: SEED_SELECTOR });
    await startCampaign(deps, campaign.id);
    await deps.jobs.start();
    await deps.jobs.drain();

    at('2026-06-02T08:00:00.000Z', success(ana, 'web', '198.51.100.200', CHROME));
    const row = await findIncident(database.db, incident.id);
    if (row === undefined) throw new Error('no incident');
    use = await useBeforeRotation(deps, row, population.accounts.acme.id);
  });
  afterAll(() => database.dispose());

  it('counts the password sign-ins of the targets between the exposure and their rotation, and nothing else', () => {
    expect(use.period).toEqual({ from: EXPOSURE_STARTS, to: expect.any(String) });
    expect(use.sign_ins).toBe(3);
    expect(use.users).toBe(2);
    expect(use.records_since).toBe('2026-04-10T08:00:00.000Z');
    expect(use.method).toContain('new source');
  });

  it('lists the sign-ins from a source the user had never used before, with why', () => {
    expect(use.unfamiliar).toEqual({ sign_ins: 2, users: 1 });
    expect(use.to_investigate).toEqual([
      {
        user_id: users.dana.id,
        occurred_at: '2026-05-04T02:00:00.000Z',
        channel: 'password_basic',
        ip: '198.51.100.5',
        user_agent: 'curl/8.5.0',
        reasons: ['new_network', 'new_user_agent'],
      },
    ]);
  });

  it('is in the customer view and the Article 33 evidence, JSON and page, once a campaign targets the account', async () => {
    expect(noCampaignYet).toBeNull();
    const app = await buildTestApp(deps);
    try {
      const admin = await insertUser(database.db, population.accounts.acme, 'ida@acme.test', { role: 'admin' });
      const session = await signIn(deps, population.accounts.acme, admin);
      const answer = await app.inject({ url: '/api/v2/security/incidents', headers: session.headers });
      expect(answer.statusCode).toBe(200);
      const [view] = answer.json<SecurityIncidentsWire>().incidents ?? [];
      expect(view?.use_before_rotation).toMatchObject({ sign_ins: 3, users: 2, unfamiliar: { sign_ins: 2, users: 1 } });
      expect(view?.use_before_rotation?.to_investigate).toEqual(use.to_investigate);
    } finally {
      await app.close();
    }
    const evidence = await buildEvidence(deps, incidentId, 'acme');
    expect(evidence.use_of_exposed_passwords).toMatchObject({ sign_ins: 3, unfamiliar: { sign_ins: 2, users: 1 } });
    const page = renderEvidenceHtml(evidence);
    expect(page).toContain('Use of the exposed passwords before rotation');
    expect(page).toContain('2 sign-ins by 1 user came from a source new to the user');
    expect(page).toContain('198.51.100.5');
  });

  it("gives operators the account's sign-in events for the incident, from the exposure, audited on the account", async () => {
    deps.signInEvents.record({
      accountId: population.accounts.acme.id,
      userId: null,
      channel: 'web',
      outcome: 'failed',
      reason: 'unknown_user',
      ip: '198.51.100.9',
      userAgent: 'curl/8.5.0',
      identifier: 'stranger@elsewhere.test',
    });
    const app = await buildTestApp(deps);
    try {
      const operator = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'olga@vendor.test', 'operator'));
      const read = (query: string, headers: Record<string, string> = operator.headers) =>
        app.inject({ url: `/ops/v1/incidents/${incidentId}/sign_in_events?${query}`, headers: { ...headers, host: 'localhost' } });

      const page = await read('account=acme&page[size]=2');
      expect(page.statusCode).toBe(200);
      const body = page.json<SignInEventsPageWire>();
      expect(body.meta.has_more).toBe(true);
      expect(body.links.next).toContain('account=acme');
      const all = [...body.sign_in_events];
      for (let next = body.links.next; next !== null;) {
        const more = await app.inject({
          url: new URL(next).pathname + new URL(next).search,
          headers: { ...operator.headers, host: 'localhost' },
        });
        const moreBody = more.json<SignInEventsPageWire>();
        all.push(...moreBody.sign_in_events);
        next = moreBody.links.next;
      }
      // From the exposure on: the April sign-ins are not the incident's.
      expect(all.every((event) => event.occurred_at >= EXPOSURE_STARTS)).toBe(true);
      expect(all.map((event) => event.occurred_at).sort()).toContain('2026-05-04T02:00:00.000Z');
      // Operators see the email an unknown user's attempt named; the account's admins do not.
      expect(all.find((event) => event.reason === 'unknown_user')?.identifier).toBe('stranger@elsewhere.test');
      const admin = await insertUser(database.db, population.accounts.acme, 'ivo@acme.test', { role: 'admin' });
      const session = await signIn(deps, population.accounts.acme, admin);
      const own = await app.inject({ url: '/api/v2/security/sign_in_events.json?outcome=failed', headers: session.headers });
      expect(own.json<SignInEventsPageWire>().sign_in_events.find((event) => event.reason === 'unknown_user')?.identifier).toBeNull();

      const staffReads = await database.db
        .selectFrom('audit_events')
        .select('data')
        .where('account_id', '=', population.accounts.acme.id)
        .where('action', '=', 'staff.read')
        .execute();
      expect(staffReads.map((row) => row.data).join('\n')).toContain('incident.sign_in_events');

      // An account outside the incident's scope, an unknown one, no account named, nobody signed in.
      const other = await insertAccount(database.db, 'outsider');
      expect((await read(`account=${other.subdomain}`)).statusCode).toBe(404);
      expect((await read('account=nobody')).statusCode).toBe(404);
      expect((await read('')).statusCode).toBe(400);
      expect((await read('account=acme', {})).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
