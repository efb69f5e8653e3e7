import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertPasswordCredential, insertUser, signIn } from '../../../test/support/identity-fixtures.js';
import type { Account, User } from '../../db/schema.js';
import { PRODUCTS, productsToMask } from '../../platform/products.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { ROTATION_EXEMPT_REASONS } from './affected-users.model.js';
import {
  affectedUserCountsWireSchema,
  affectedUsersPageWireSchema,
  rotationTargetsPageWireSchema,
  type AffectedUserCountsWire,
  type AffectedUserWire,
  type AffectedUsersPageWire,
  type RotationTargetWire,
  type RotationTargetsPageWire,
} from './affected-users.schema.js';
import { AFFECTED_USERS_CSV_HEADER, affectedUsersCsv, ROTATION_TARGETS_CSV_HEADER, rotationTargetsCsv } from './affected-users.service.js';
import { dryRunPredicates } from './campaign-dry-run.js';
import { dryRunCounts } from './campaigns.repo.js';
import { campaignCompletion, createCampaign } from './campaigns.service.js';
import { startCampaign } from './campaign-start.service.js';
import { EXPOSURE_CATEGORIES, isAccountLevelCategory, type ExposureCategory } from './exposures.model.js';
import { exposureOf, listActiveExposures } from './exposures.repo.js';
import { addExposure } from './exposures.service.js';
import { declareIncident } from './incidents.service.js';
import { getScope } from './scope.service.js';
import { selectSelectorRecords, toSelectorRecord } from './selectors/selector.compile.js';
import { evaluateSelector } from './selectors/selector.explain.js';
import type { Selector } from './selectors/selector.model.js';

const CUTOFF = '2016-11-01T00:00:00.000Z';
const OLD = '2014-01-10T00:00:00.000Z';
const BEFORE = '2015-02-01T00:00:00.000Z';
const actor = { type: 'cli' as const };

/** Who had a password hash exposed: users of accounts activated before the cutoff, created before it, with a password. */
const PASSWORD_HASHES_SELECTOR = {
  all: [
    { field: 'account.activated_at', op: 'before', value: CUTOFF },
    { field: 'user.created_at', op: 'before', value: CUTOFF },
    { field: 'user.has_password', op: 'eq', value: true },
  ],
};

/**
 * Whom to rotate: core agents and admins, and end users created before the
 * cutoff, of accounts activated before it, not on SSO, whose password dates
 * from before the oldest copied backup (2016-06-01): a user who set it
 * between then and the cutoff is excluded by the selector.
 */
const CAMPAIGN_SELECTOR = {
  all: [
    { field: 'account.activated_at', op: 'before', value: CUTOFF },
    { field: 'user.realm', op: 'eq', value: 'core' },
    {
      any: [
        { field: 'user.role', op: 'in', value: ['agent', 'admin'] },
        {
          all: [
            { field: 'user.role', op: 'eq', value: 'end-user' },
            { field: 'user.created_at', op: 'before', value: CUTOFF },
          ],
        },
      ],
    },
    { field: 'user.password_changed_at', op: 'before', value: '2016-06-01T00:00:00.000Z' },
    { field: 'user.sso', op: 'eq', value: false },
  ],
} as const;

interface PersonOptions {
  role?: User['role'];
  name?: string;
  createdAt?: string;
  passwordAt?: string | null;
  sso?: boolean;
  realm?: string;
  products?: string[];
}

async function person(deps: ServiceDeps, account: Account, handle: string, options: PersonOptions = {}): Promise<User> {
  const user = await insertUser(deps.db, account, `${handle}@${account.subdomain}.test`, {
    role: options.role ?? 'agent',
    name: options.name ?? handle,
    created_at: options.createdAt ?? OLD,
    sso: options.sso === true ? 1 : 0,
    realm: options.realm ?? 'core',
    products_mask: productsToMask(options.products ?? ['support', 'chat']),
  });
  const passwordAt = options.passwordAt === undefined ? BEFORE : options.passwordAt;
  if (passwordAt !== null) await insertPasswordCredential(deps.db, user, { password_changed_at: passwordAt });
  return user;
}

interface Scenario {
  incidentId: number;
  campaignId: number;
  accounts: { acme: Account; beta: Account; gamma: Account };
  users: Record<string, User>;
}

/**
 * acme (active since 2015; Support, Chat, Sell): every case the lists tell
 * apart. beta (activated 2018) is in scope only through the forensic list of
 * accounts, for contact details; gamma (2019) is in no scope. Exposures:
 * contact_pii for the list [acme, beta], password_hashes by selector, tls_keys
 * for accounts activated before the cutoff (account-level: no users).
 */
async function buildScenario(deps: ServiceDeps): Promise<Scenario> {
  const acme = await insertAccount(deps.db, 'acme', {
    activated_at: '2015-03-02T00:00:00.000Z',
    products_mask: productsToMask(['support', 'chat', 'sell']),
  });
  const beta = await insertAccount(deps.db, 'beta', { activated_at: '2018-01-01T00:00:00.000Z' });
  const gamma = await insertAccount(deps.db, 'gamma', { activated_at: '2019-01-01T00:00:00.000Z' });
  const users: Record<string, User> = {
    // The admin reading the lists: changed his password after the cutoff.
    bob: await person(deps, acme, 'bob', { role: 'admin', passwordAt: '2016-12-01T00:00:00.000Z' }),
    ana: await person(deps, acme, 'ana'),
    pat: await person(deps, acme, 'pat', { products: ['support'] }),
    cleo: await person(deps, acme, 'cleo', { products: ['chat'] }),
    dana: await person(deps, acme, 'dana', {
      role: 'end-user',
      name: 'Dana "D" Smith, Jr.',
      createdAt: '2015-05-01T00:00:00.000Z',
      passwordAt: '2015-05-01T00:00:00.000Z',
      products: ['support'],
    }),
    carl: await person(deps, acme, 'carl', { sso: true }),
    gus: await person(deps, acme, 'gus', { passwordAt: null }),
    sam: await person(deps, acme, 'sam', { realm: 'sell', products: ['sell'] }),
    olga: await person(deps, acme, 'olga', { passwordAt: '2016-08-01T00:00:00.000Z' }),
    eve: await person(deps, acme, 'eve', {
      role: 'end-user',
      createdAt: '2017-01-01T00:00:00.000Z',
      passwordAt: '2017-01-01T00:00:00.000Z',
      products: ['support'],
    }),
    hyper: await person(deps, acme, 'hyper', {
      role: 'end-user',
      name: '=HYPERLINK("http://evil.test","click")',
      createdAt: '2018-01-01T00:00:00.000Z',
      passwordAt: '2018-01-01T00:00:00.000Z',
      products: ['support'],
    }),
    betaBoss: await person(deps, beta, 'boss', { role: 'admin' }),
    hal: await person(deps, beta, 'hal'),
    gammaBoss: await person(deps, gamma, 'boss', { role: 'admin' }),
    ivy: await person(deps, gamma, 'ivy'),
  };
  const incident = await declareIncident(deps, {
    title: 'Credential store copied',
    becameAwareAt: '2026-05-30T09:00:00Z',
    cutoff: CUTOFF,
    actor,
  });
  await addExposure(deps, { incidentId: incident.id, category: 'contact_pii', accountIds: [acme.id, beta.id], actor });
  await addExposure(deps, { incidentId: incident.id, category: 'password_hashes', selector: PASSWORD_HASHES_SELECTOR, actor });
  await addExposure(deps, {
    incidentId: incident.id,
    category: 'tls_keys',
    selector: { field: 'account.activated_at', op: 'before', value: CUTOFF },
    actor,
  });
  // Announced for tomorrow: the targets are frozen now, no batch has run.
  const campaign = await createCampaign(deps, {
    incidentId: incident.id,
    selector: CAMPAIGN_SELECTOR,
    startAt: '2026-06-02T09:00:00.000Z',
  });
  return { incidentId: incident.id, campaignId: campaign.id, accounts: { acme, beta, gamma }, users };
}

/** RFC 4180 as `csv.ts` writes it: quoted fields with doubled quotes, CRLF line ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 1;
    } else field += char;
  }
  expect(field, 'the CSV ends with CRLF').toBe('');
  return rows;
}

async function linesOf(lines: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const line of lines) text += line;
  return text;
}

/** The paths of the objects in a schema that do not list their keys and refuse others. */
function openObjects(schema: unknown, path = '$'): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as { type?: unknown; properties?: object; additionalProperties?: unknown; items?: unknown };
  const isObject = node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'));
  return [
    ...(isObject && (node.properties === undefined || node.additionalProperties !== false) ? [path] : []),
    ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => openObjects(child, `${path}.${key}`)),
    ...openObjects(node.items, `${path}[]`),
  ];
}

describe('the answers about who exactly is affected', () => {
  it('are closed: every object lists its keys and sends no other', () => {
    expect(openObjects(affectedUsersPageWireSchema)).toEqual([]);
    expect(openObjects(rotationTargetsPageWireSchema)).toEqual([]);
    expect(openObjects(affectedUserCountsWireSchema)).toEqual([]);
  });
});

describe.each(backends)('who exactly is affected, for the customer, on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let app: FastifyInstance;
  let scenario: Scenario;
  const INCIDENTS = '/api/v2/security/incidents';

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    scenario = await buildScenario(deps);
    app = await buildTestApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  const userNamed = (name: string): User => {
    const user = scenario.users[name];
    if (user === undefined) throw new Error(`the scenario has no ${name}`);
    return user;
  };
  const admins = () => ({ acme: userNamed('bob'), beta: userNamed('betaBoss'), gamma: userNamed('gammaBoss') });
  type AccountName = 'acme' | 'beta' | 'gamma';
  const get = async (url: string, account: AccountName = 'acme', user?: User, headers: Record<string, string> = {}) => {
    const session = await signIn(deps, scenario.accounts[account], user ?? admins()[account]);
    return app.inject({ url, headers: { ...session.headers, ...headers } });
  };
  const path = (list: string) => `${INCIDENTS}/${scenario.incidentId}/${list}`;

  /** Every page of a list, following links.next (an absolute link on the account's configured origin). */
  async function walk<T>(first: string, key: 'affected_users' | 'rotation_targets', account: AccountName = 'acme'): Promise<T[]> {
    const items: T[] = [];
    let url: string | null = first;
    for (let pages = 0; url !== null; pages += 1) {
      expect(pages).toBeLessThan(50);
      const response = await get(url, account);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<Record<string, unknown> & { meta: { has_more: boolean }; links: { next: string | null } }>();
      items.push(...(body[key] as T[]));
      expect(body.meta.has_more).toBe(body.links.next !== null);
      if (body.links.next === null) break;
      expect(body.links.next.startsWith(`http://${scenario.accounts[account].subdomain}.localhost:3000${INCIDENTS}/`)).toBe(true);
      const next = new URL(body.links.next);
      url = `${next.pathname}${next.search}`;
    }
    return items;
  }

  /** The account's users in scope, computed apart: each exposure evaluated on each stored user record in JavaScript. */
  async function expectedAffectedUsers(account: Account): Promise<Map<number, ExposureCategory[]>> {
    const exposures = (await listActiveExposures(deps.db, scenario.incidentId)).map(exposureOf);
    const records = await selectSelectorRecords(deps.db).where('users.account_id', '=', account.id).execute();
    const expected = new Map<number, ExposureCategory[]>();
    for (const row of records) {
      const record = toSelectorRecord(row);
      const categories = EXPOSURE_CATEGORIES.filter((category) =>
        exposures.some(
          (exposure) =>
            exposure.category === category &&
            !isAccountLevelCategory(category) &&
            (exposure.target.kind === 'accounts'
              ? exposure.target.accountIds.includes(account.id)
              : evaluateSelector(exposure.target.selector, record)),
        ),
      );
      if (categories.length > 0) expected.set(Number(row.id), categories);
    }
    return expected;
  }

  /** Per dry-run class, the account's users a campaign selector is about, as the operators' dry run counts them. */
  async function dryRunOf(account: Account): Promise<Record<string, number>> {
    const selector = CAMPAIGN_SELECTOR as unknown as Selector;
    const rows = await dryRunCounts(deps.db, selector, dryRunPredicates(selector), CUTOFF);
    const byClass: Record<string, number> = {};
    for (const row of rows.filter((one) => one.account_id === account.id)) byClass[row.class] = (byClass[row.class] ?? 0) + row.users;
    return byClass;
  }

  const stateByEmail = (targets: RotationTargetWire[]) =>
    Object.fromEntries(
      targets.map((target): [string, [string, string | null]] => [target.email.split('@')[0] ?? '', [target.state, target.exempt_reason]]),
    );

  describe('before the announced rotation starts', () => {
    it('lists exactly the scope: the same users as the exposures reach and the counts the scope snapshot says', async () => {
      const { acme } = scenario.accounts;
      const users = await walk<AffectedUserWire>(`${path('affected_users.json')}?page[size]=3`, 'affected_users');
      const expected = await expectedAffectedUsers(acme);
      expect(new Map(users.map((user) => [user.id, user.categories]))).toEqual(expected);
      expect(users.map((user) => user.id)).toEqual([...users.map((user) => user.id)].sort((a, b) => a - b));
      // 11 users in contact_pii; gus (no password), eve and hyper (created after the cutoff) not in password_hashes.
      expect(users).toHaveLength(11);
      expect(users.filter((user) => user.categories.includes('password_hashes')).map((user) => user.email.split('@')[0])).toEqual([
        'bob',
        'ana',
        'pat',
        'cleo',
        'dana',
        'carl',
        'sam',
        'olga',
      ]);

      const scope = await getScope(deps, scenario.incidentId);
      const scoped = scope.accounts.find((account) => account.subdomain === 'acme');
      expect(scoped?.people).toBe(users.length);
      expect(scoped?.peopleByRole.endUsers).toBe(users.filter((user) => user.role === 'end-user').length);
      for (const category of ['contact_pii', 'password_hashes'] as const)
        expect(scoped?.records[category], category).toBe(users.filter((user) => user.categories.includes(category)).length);

      const dana = users.find((user) => user.email === 'dana@acme.test');
      expect(dana).toEqual({
        id: scenario.users.dana?.id,
        name: 'Dana "D" Smith, Jr.',
        email: 'dana@acme.test',
        role: 'end-user',
        realm: 'core',
        active: true,
        sso: false,
        products: ['support'],
        categories: ['contact_pii', 'password_hashes'],
      });
    });

    it('filters by category, and keeps the filter in links.next', async () => {
      const first = await get(`${path('affected_users.json')}?category=password_hashes&page[size]=5`);
      expect(first.statusCode).toBe(200);
      const body = first.json<AffectedUsersPageWire>();
      expect(body.affected_users).toHaveLength(5);
      expect(body.links.next).toMatch(/\?category=password_hashes&page\[size\]=5&page\[after\]=/);
      const all = await walk<AffectedUserWire>(`${path('affected_users.json')}?category=password_hashes&page[size]=5`, 'affected_users');
      expect(all).toHaveLength(8);
      expect(all.every((user) => user.categories.includes('password_hashes'))).toBe(true);
      const contact = await walk<AffectedUserWire>(`${path('affected_users.json')}?category=contact_pii`, 'affected_users');
      expect(contact).toHaveLength(11);
      const none = (await get(`${path('affected_users.json')}?category=ticket_data`)).json<AffectedUsersPageWire>();
      expect(none).toEqual({
        affected_users: [],
        meta: { has_more: false, after_cursor: null, before_cursor: null },
        links: { prev: null, next: null },
      });
    });

    it('exports the same users as CSV, every row with a header, formulas neutralised', async () => {
      const response = await get(path('affected_users.csv'));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(
        `attachment; filename="affected-users-incident-${scenario.incidentId}-acme.csv"`,
      );
      const [header, ...rows] = parseCsv(response.body);
      expect(header).toEqual([...AFFECTED_USERS_CSV_HEADER]);
      const json = await walk<AffectedUserWire>(path('affected_users.json'), 'affected_users');
      expect(rows).toEqual(
        json.map((user) => [
          String(user.id),
          user.name.startsWith('=') ? `'${user.name}` : user.name,
          user.email,
          user.role,
          user.realm,
          String(user.active),
          String(user.sso),
          user.products.join(' '),
          user.categories.join(' '),
        ]),
      );
      expect(response.body).toContain(`"'=HYPERLINK(""http://evil.test"",""click"")"`);
      expect(response.body).toContain('"Dana ""D"" Smith, Jr."');
      // Read in batches of two users, the export is the same file.
      const batched = await affectedUsersCsv(deps, { incidentId: scenario.incidentId, accountId: scenario.accounts.acme.id }, undefined, 2);
      expect(await linesOf(batched)).toBe(response.body);
      const filtered = parseCsv((await get(`${path('affected_users.csv')}?category=password_hashes`)).body);
      expect(filtered.slice(1).map((row) => row[2])).toEqual(
        json.filter((user) => user.categories.includes('password_hashes')).map((user) => user.email),
      );
    });

    it('counts the users in scope per product, overall and per category', async () => {
      const response = await get(path('affected_users/counts.json'));
      expect(response.statusCode).toBe(200);
      const counts = response.json<AffectedUserCountsWire>();
      const json = await walk<AffectedUserWire>(path('affected_users.json'), 'affected_users');
      const perProduct = (users: AffectedUserWire[]) =>
        Object.fromEntries(PRODUCTS.map((product) => [product, users.filter((user) => user.products.includes(product)).length]));
      expect(counts.affected_users).toEqual({
        users: 11,
        by_product: perProduct(json),
        by_category: (['contact_pii', 'password_hashes'] as const).map((category) => {
          const inCategory = json.filter((user) => user.categories.includes(category));
          return { category, users: inCategory.length, by_product: perProduct(inCategory) };
        }),
      });
      expect(counts.affected_users.by_product).toMatchObject({ support: 9, chat: 6, sell: 1, talk: 0 });
    });

    it('lists the frozen targets as not yet flagged and the exempt with the dry run’s reasons and counts', async () => {
      const targets = await walk<RotationTargetWire>(`${path('rotation_targets.json')}?page[size]=4`, 'rotation_targets');
      expect(stateByEmail(targets)).toEqual({
        bob: ['exempt', 'changed_since_cutoff'],
        ana: ['not_yet_flagged', null],
        pat: ['not_yet_flagged', null],
        cleo: ['not_yet_flagged', null],
        dana: ['not_yet_flagged', null],
        carl: ['exempt', 'sso'],
        gus: ['exempt', 'no_password'],
        sam: ['exempt', 'other_realm'],
        olga: ['exempt', 'excluded_by_selector'],
      });
      const dryRun = await dryRunOf(scenario.accounts.acme);
      const counts = (await get(path('affected_users/counts'))).json<AffectedUserCountsWire>().rotation_targets;
      expect(counts.by_state.not_yet_flagged).toBe(dryRun.target);
      for (const reason of ROTATION_EXEMPT_REASONS.filter((one) => one !== 'matched_after_freeze'))
        expect(counts.exempt[reason], reason).toBe(dryRun[reason] ?? 0);
      expect(counts).toEqual({
        users: 9,
        by_state: { pending: 0, changed: 0, changed_before_rotation: 0, not_yet_flagged: 4, exempt: 5 },
        exempt: { other_realm: 1, sso: 1, no_password: 1, changed_since_cutoff: 1, excluded_by_selector: 1, matched_after_freeze: 0 },
      });
    });
  });

  describe('once the rotation has run', () => {
    beforeAll(async () => {
      const { acme } = scenario.accounts;
      const cleo = userNamed('cleo');
      const ana = userNamed('ana');
      // cleo chooses a new password after the advance notice, before her batch runs.
      await deps.db
        .updateTable('password_credentials')
        .set({ password_changed_at: '2026-06-01T11:30:00.000Z' })
        .where('account_id', '=', acme.id)
        .where('user_id', '=', cleo.id)
        .execute();
      // nick joins after the targets were frozen, with an old imported password.
      scenario.users.nick = await person(deps, acme, 'nick', { products: ['talk'] });
      await startCampaign(deps, scenario.campaignId);
      await deps.jobs.start();
      await deps.jobs.drain();
      // ana sets a new password after being flagged.
      await deps.db
        .updateTable('password_credentials')
        .set({ must_change: 0, password_changed_at: '2026-06-01T12:30:00.000Z' })
        .where('account_id', '=', acme.id)
        .where('user_id', '=', ana.id)
        .execute();
    });

    it('gives each target its state, and a user matched after the freeze as exempt', async () => {
      const targets = await walk<RotationTargetWire>(`${path('rotation_targets.json')}?page[size]=2`, 'rotation_targets');
      expect(stateByEmail(targets)).toEqual({
        bob: ['exempt', 'changed_since_cutoff'],
        ana: ['changed', null],
        pat: ['pending', null],
        cleo: ['changed_before_rotation', null],
        dana: ['pending', null],
        carl: ['exempt', 'sso'],
        gus: ['exempt', 'no_password'],
        sam: ['exempt', 'other_realm'],
        olga: ['exempt', 'excluded_by_selector'],
        nick: ['exempt', 'matched_after_freeze'],
      });
      const pat = targets.find((target) => target.email === 'pat@acme.test');
      expect(pat).toEqual({
        id: scenario.users.pat?.id,
        name: 'pat',
        email: 'pat@acme.test',
        role: 'agent',
        realm: 'core',
        state: 'pending',
        exempt_reason: null,
        flagged_at: '2026-06-01T12:00:00.000Z',
        password_changed_at: BEFORE,
      });
      expect(targets.find((target) => target.email === 'gus@acme.test')?.password_changed_at).toBeNull();
      expect(targets.find((target) => target.email === 'cleo@acme.test')?.flagged_at).toBeNull();
    });

    it('agrees with the campaign’s completion and the customer view’s progress', async () => {
      const counts = (await get(path('affected_users/counts.json'))).json<AffectedUserCountsWire>().rotation_targets;
      expect(counts.by_state).toEqual({ pending: 2, changed: 1, changed_before_rotation: 1, not_yet_flagged: 0, exempt: 6 });
      const completion = await campaignCompletion(deps, scenario.campaignId);
      const acme = completion.accounts.find((account) => account.subdomain === 'acme');
      expect(acme).toMatchObject({
        flagged: counts.by_state.pending + counts.by_state.changed,
        changed: counts.by_state.changed,
        changedBeforeRotation: counts.by_state.changed_before_rotation,
      });
      const view = (await get(`${INCIDENTS}.json`)).json<{ incidents: Array<{ rotation: { targets: number; changed: number } }> }>();
      const frozen = counts.by_state.pending + counts.by_state.changed + counts.by_state.changed_before_rotation;
      expect(view.incidents[0]?.rotation).toMatchObject({
        targets: frozen,
        changed: counts.by_state.changed + counts.by_state.changed_before_rotation,
      });
    });

    it('filters by state, and exports every target as CSV with the same rows', async () => {
      const pending = await walk<RotationTargetWire>(`${path('rotation_targets.json')}?state=pending&page[size]=1`, 'rotation_targets');
      expect(pending.map((target) => target.email)).toEqual(['pat@acme.test', 'dana@acme.test']);
      const exempt = (await get(`${path('rotation_targets.json')}?state=exempt`)).json<RotationTargetsPageWire>();
      expect(exempt.rotation_targets.map((target) => target.exempt_reason)).toEqual([
        'changed_since_cutoff',
        'sso',
        'no_password',
        'other_realm',
        'excluded_by_selector',
        'matched_after_freeze',
      ]);

      const response = await get(path('rotation_targets.csv'));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-disposition']).toBe(
        `attachment; filename="rotation-targets-incident-${scenario.incidentId}-acme.csv"`,
      );
      const [header, ...rows] = parseCsv(response.body);
      expect(header).toEqual([...ROTATION_TARGETS_CSV_HEADER]);
      const json = await walk<RotationTargetWire>(path('rotation_targets.json'), 'rotation_targets');
      expect(rows).toEqual(
        json.map((target) => [
          String(target.id),
          target.name,
          target.email,
          target.role,
          target.realm,
          target.state,
          target.exempt_reason ?? '',
          target.flagged_at ?? '',
          target.password_changed_at ?? '',
        ]),
      );
      // Read in batches of two users, the export is the same file.
      const batched = await rotationTargetsCsv(
        deps,
        { incidentId: scenario.incidentId, accountId: scenario.accounts.acme.id },
        undefined,
        2,
      );
      expect(await linesOf(batched)).toBe(response.body);
      const csvPending = parseCsv((await get(`${path('rotation_targets.csv')}?state=pending`)).body);
      expect(csvPending.slice(1).map((row) => row[2])).toEqual(['pat@acme.test', 'dana@acme.test']);
    });

    it('still lists exactly the live scope', async () => {
      const users = await walk<AffectedUserWire>(path('affected_users.json'), 'affected_users');
      expect(new Map(users.map((user) => [user.id, user.categories]))).toEqual(await expectedAffectedUsers(scenario.accounts.acme));
      expect(users).toHaveLength(12);
      const counts = (await get(path('affected_users/counts'))).json<AffectedUserCountsWire>();
      expect(counts.affected_users.by_product.talk).toBe(1);
    });
  });

  describe('refuses everyone else', () => {
    const lists = () => [
      path('affected_users.json'),
      path('affected_users.csv'),
      path('affected_users/counts.json'),
      path('rotation_targets.json'),
      path('rotation_targets.csv'),
    ];

    it("shows another affected account's admin only that account's users, never acme's", async () => {
      const users = await walk<AffectedUserWire>(path('affected_users.json'), 'affected_users', 'beta');
      expect(users.map((user) => user.email)).toEqual(['boss@beta.test', 'hal@beta.test']);
      expect(users.every((user) => user.categories.join() === 'contact_pii')).toBe(true);
      expect(await walk<RotationTargetWire>(path('rotation_targets.json'), 'rotation_targets', 'beta')).toEqual([]);
      for (const url of lists()) {
        const response = await get(url, 'beta');
        expect(response.statusCode, url).toBe(200);
        expect(response.body, url).not.toMatch(/acme/);
      }
      const counts = (await get(path('affected_users/counts'), 'beta')).json<AffectedUserCountsWire>();
      expect(counts.affected_users.users).toBe(2);
      expect(counts.rotation_targets.users).toBe(0);
    });

    it('answers 404 to the admin of an account the incident does not affect, and for an unknown incident', async () => {
      for (const url of lists()) {
        const response = await get(url, 'gamma');
        expect(response.statusCode, url).toBe(404);
        expect(response.json()).toMatchObject({ error: 'RecordNotFound' });
        expect(response.body).not.toMatch(/acme|beta/);
      }
      for (const list of ['affected_users.json', 'affected_users.csv', 'affected_users/counts', 'rotation_targets.csv'])
        expect((await get(`${INCIDENTS}/999999/${list}`)).statusCode, list).toBe(404);
    });

    it('refuses agents, end users and requests without a credential', async () => {
      for (const user of [userNamed('ana'), userNamed('eve')])
        for (const url of lists()) expect((await get(url, 'acme', user)).statusCode, `${user.role} ${url}`).toBe(403);
      for (const url of lists()) expect((await app.inject({ url, headers: { host: 'acme.localhost' } })).statusCode, url).toBe(401);
    });

    it.each([
      ['a forged cursor', 'affected_users.json?page[after]=aWQ6MSBvciAxPTE'],
      ['a cursor that is not base64 of ours', 'rotation_targets.json?page[after]=not-a-cursor'],
      ['a huge page size', 'affected_users.json?page[size]=100000'],
      ['a page size past the pattern', 'rotation_targets.json?page[size]=99999999'],
      ['a zero page size', 'affected_users.json?page[size]=0'],
      ['offset pages', 'affected_users.json?page=2'],
      ['an account-level category', 'affected_users.json?category=tls_keys'],
      ['an unknown category', 'affected_users.csv?category=everything'],
      ['an unknown state', 'rotation_targets.csv?state=done'],
    ])('answers %s with a 400 that says what to send', async (_label, list) => {
      const response = await get(`${path('')}${list}`);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json()).toMatchObject({ error: 'InvalidParameters', description: expect.any(String) });
    });

    it('never takes its links from the request', async () => {
      const response = await get(`${path('affected_users.json')}?page[size]=1`, 'acme', undefined, {
        'x-forwarded-host': 'evil.test',
        forwarded: 'host=evil.test',
      });
      const body = response.json<AffectedUsersPageWire>();
      expect(body.links.next).toMatch(/^http:\/\/acme\.localhost:3000\//);
      expect(response.body).not.toContain('evil.test');
    });
  });
});
