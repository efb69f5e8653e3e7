import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { dumpPopulation } from '../../../test/support/population-dump.js';
import { FixedClock } from '../../platform/clock.js';
import { maskToProducts } from '../../platform/products.js';
import { parsePasswordHash, verifyLegacyPassword } from '../auth/password-formats.js';
import { DemoPopulation } from './demo.generator.js';
import { getScope } from '../incidents/scope.service.js';
import { runDemo, runSmallDemo, SMALL_DEMO, type DemoResult } from './demo.service.js';
import { publishedAdvisoryPathForIncident } from '../advisories/advisory-links.js';
import { renderAdvisoryPage } from '../advisories/advisory-page.html.js';
import { readPublicArticle } from '../advisories/advisory-public.service.js';
import { SAMPLE_ADVISORY } from '../advisories/sample-advisory.text.js';
import { testKeyring } from '../../../test/support/app.js';

const options = { accounts: 40, users: 2_000, seed: 'test-seed' };

describe('demo generator', () => {
  it('spreads exactly the users asked for, skewed across accounts', () => {
    const population = new DemoPopulation(options);
    const sizes = population.accounts.map((a) => a.size).sort((a, b) => b - a);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(options.users);
    // Pareto: the largest fifth of the accounts hold most of the users.
    expect(sizes.slice(0, 8).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(options.users / 2);
  });

  it('refuses too few users for the accounts', () => {
    expect(() => new DemoPopulation({ accounts: 10, users: 10, seed: 's' })).toThrow(/--users must be at least 15/);
  });
});

describe.each(backends)('demo population on %s', (backend) => {
  let first: TestDatabase;
  let second: TestDatabase;
  let result: DemoResult;
  const clock = new FixedClock('2026-01-01T00:00:00.000Z');
  beforeAll(async () => {
    first = await openTestDatabase(backend);
    second = await openTestDatabase(backend);
    result = await runDemo(first, { ...options, clock, keyring: testKeyring(first) });
  });
  afterAll(async () => {
    await first.dispose();
    await second.dispose();
  });

  it('is the same population for the same seed, ids included', async () => {
    // One keyring for both: the audit chain's HMACs are part of the population compared.
    const again = await runDemo(second, { ...options, clock, keyring: testKeyring(first) });
    expect(again.summary).toEqual(result.summary);
    expect(await dumpPopulation(second)).toEqual(await dumpPopulation(first));
  });

  it('has the shapes of a real platform history', async () => {
    const { db } = first;
    const accounts = await db.selectFrom('accounts').selectAll().execute();
    expect(accounts).toHaveLength(options.accounts);
    expect(new Set(accounts.map((a) => a.status))).toEqual(new Set(['trial', 'active', 'trial_expired', 'inactive']));
    const years = accounts.map((a) => Number(a.activated_at?.slice(0, 4)));
    expect(Math.min(...years)).toBeGreaterThanOrEqual(2009);
    expect(Math.max(...years)).toBeLessThanOrEqual(2020);
    expect(accounts.some((a) => maskToProducts(a.products_mask).join() === 'sell')).toBe(true);

    const users = await db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(options.users);
    expect(new Set(users.map((u) => u.realm))).toContain('sell');
    for (const account of accounts) {
      expect(
        users.some((u) => u.account_id === account.id && u.role === 'admin'),
        account.subdomain,
      ).toBe(true);
    }
    const ssoAgents = users.filter((u) => u.sso === 1);
    expect(ssoAgents.length).toBeGreaterThan(0);
    expect(ssoAgents.every((u) => u.role !== 'end-user')).toBe(true);
    expect(users.filter((u) => u.role === 'end-user').length).toBeGreaterThan(users.length / 2);

    const credentials = await db.selectFrom('password_credentials').selectAll().execute();
    const schemes = new Set(credentials.map((c) => parsePasswordHash(c.password_hash)));
    expect(schemes).toEqual(new Set(['sha1', 'sha256', 'pbkdf2-sha256', 'bcrypt']));
    const changeYears = new Set(credentials.map((c) => c.password_changed_at.slice(0, 4)));
    expect(changeYears.size).toBeGreaterThan(10);
  });

  it('names demo users whose printed passwords match their stored hashes', async () => {
    expect(result.namedUsers.map((u) => u.email)).toEqual([
      'ana.admin@acme.test',
      'alex.agent@acme.test',
      'eve.enduser@acme.test',
      'sam.seller@acme.test',
    ]);
    for (const named of result.namedUsers) {
      const row = await first.db
        .selectFrom('users')
        .innerJoin('password_credentials', (join) =>
          join.onRef('password_credentials.account_id', '=', 'users.account_id').onRef('password_credentials.user_id', '=', 'users.id'),
        )
        .select('password_hash')
        .where('users.email', '=', named.email)
        .where('users.realm', '=', named.realm)
        .executeTakeFirstOrThrow();
      expect(parsePasswordHash(row.password_hash)).toBe(named.scheme);
      expect(verifyLegacyPassword(named.password, row.password_hash)).toBe(true);
    }
  });

  it('declares the sample incident with the seed exposure and a scope over the demo accounts, once', async () => {
    expect(result.sampleIncidentId).toEqual(expect.any(Number));
    const scope = await getScope({ db: first.db, clock, keyring: testKeyring(first) }, result.sampleIncidentId ?? 0);
    expect(scope.version).toBe(1);
    expect(scope.accounts.length).toBeGreaterThan(0);
    expect(scope.accounts.every((account) => account.categories.includes('password_hashes'))).toBe(true);
    expect((await runDemo(first, { ...options, clock, keyring: testKeyring(first) })).sampleIncidentId).toBeNull();
  });

  it('publishes the sample incident’s advisory in English and French, with one dated update, once', async () => {
    const advisoryId = result.sampleAdvisoryId ?? 0;
    expect(await publishedAdvisoryPathForIncident(first.db, result.sampleIncidentId ?? 0, 'fr')).toBe(`/hc/fr/articles/${advisoryId}`);
    const english = await readPublicArticle(first, advisoryId, 'en');
    const french = await readPublicArticle(first, advisoryId, 'fr');
    expect(english.translation).toMatchObject({ isSource: true, title: SAMPLE_ADVISORY.en.title });
    expect(french.translation).toMatchObject({
      isSource: false,
      machineTranslated: false,
      outdated: false,
      title: SAMPLE_ADVISORY.fr.title,
    });
    for (const heading of ['## What happened', '## What we did', '## What you should do'])
      expect(english.translation.body).toContain(heading);
    expect(english.translation.body).toContain('API tokens and OAuth tokens keep working');
    expect(french.translation.body).toContain('les jetons d’API et les jetons OAuth continuent de fonctionner');
    expect(english.updates).toHaveLength(1);
    expect(french.updates.map((update) => update.body.locale)).toEqual(['fr']);
    // The page it makes points nowhere but this server.
    const links = [...renderAdvisoryPage(french, 'Riposte').matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(links.filter((link) => !/^(\/(?![/\\])|#)/.test(link ?? ''))).toEqual([]);
    expect((await runDemo(first, { ...options, clock, keyring: testKeyring(first) })).sampleAdvisoryId).toBeNull();
    expect(await first.db.selectFrom('advisories').select('id').execute()).toHaveLength(1);
  });

  it('changes nothing when run again', async () => {
    const before = await dumpPopulation(first);
    const again = await runDemo(first, { ...options, clock, keyring: testKeyring(first) });
    expect(again.summary).toMatchObject({
      accounts: { created: 0, unchanged: options.accounts },
      users: { created: 0, unchanged: options.users },
      auditEvents: 0,
    });
    expect(await dumpPopulation(first)).toEqual(before);
  });

  it('creates the small start-up demo and returns what to print', async () => {
    const database = await openTestDatabase(backend);
    try {
      const report = await runSmallDemo(
        database,
        { clock, keyring: testKeyring(database) },
        (subdomain) => `http://${subdomain}.localhost:3000`,
      );
      expect(report.summary).toMatchObject({ accounts: { created: SMALL_DEMO.accounts }, users: { created: SMALL_DEMO.users } });
      expect(report.lines.join('\n')).toContain(`http://acme.localhost:3000  ana.admin@acme.test  ${report.namedUsers[0]!.password}`);
      expect(report.lines.join('\n')).toContain(`/hc/fr/articles/${report.sampleAdvisoryId}`);
      const statuses = await database.db.selectFrom('accounts').select('status').distinct().execute();
      expect(statuses).toHaveLength(4);
    } finally {
      await database.dispose();
    }
  });
});
