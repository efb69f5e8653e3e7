import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../../../test/support/staff-fixtures.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import {
  advisoryDetailsWireSchema,
  advisorySummaryWireSchema,
  type AdvisoryAnswer,
  type AdvisoryDetailsWire,
  type AdvisoryListAnswer,
  type AdvisoryRevisionsAnswer,
  type AdvisoryTranslationAnswer,
  type AdvisoryUpdateAnswer,
} from './advisories-ops.schema.js';

/** Every key of a JSON value that is not snake_case, by its path. */
function camelCaseKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => camelCaseKeys(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(/[A-Z]/.test(key) ? [`${path}.${key}`] : []),
    ...camelCaseKeys(child, `${path}.${key}`),
  ]);
}

describe.each(backends)('operator advisory routes on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let operator: StaffSession;
  let support: StaffSession;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    operator = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'olga@vendor.test', 'operator'));
    support = await staffSignIn(app, deps.clock, await createTestStaff(deps, 'sam@vendor.test', 'support'));
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  async function createAdvisory(): Promise<AdvisoryDetailsWire> {
    const response = await app.inject({
      method: 'POST',
      url: '/ops/v1/advisories',
      headers: operator.headers,
      payload: { title: 'Passwords reset', body: '# What happened\n\nA copy leaked.' },
    });
    expect(response.statusCode).toBe(201);
    return response.json<AdvisoryAnswer>().advisory;
  }

  it('refuses callers without a staff session, support staff, and writes without the CSRF token', async () => {
    const { id } = await createAdvisory();
    const reads = ['/ops/v1/advisories', `/ops/v1/advisories/${id}`, `/ops/v1/advisories/${id}/revisions`];
    for (const url of reads) {
      expect((await app.inject({ url })).statusCode).toBe(401);
      const asSupport = await app.inject({ url, headers: support.headers });
      expect(asSupport.statusCode).toBe(403);
      expect(asSupport.json<{ description: string }>().description).toContain('needs the operator role');
    }
    const writes = [
      { method: 'POST' as const, url: '/ops/v1/advisories', payload: { title: 't', body: 'b' } },
      { method: 'PUT' as const, url: `/ops/v1/advisories/${id}/translations/fr`, payload: { title: 't', body: 'b' } },
      { method: 'POST' as const, url: `/ops/v1/advisories/${id}/publish`, payload: {} },
      { method: 'POST' as const, url: `/ops/v1/advisories/${id}/updates`, payload: { body: 'b' } },
    ];
    for (const write of writes) {
      expect((await app.inject(write)).statusCode).toBe(401);
      expect((await app.inject({ ...write, headers: support.headers })).statusCode).toBe(403);
      const noCsrf = await app.inject({ ...write, headers: { cookie: operator.cookie } });
      expect(noCsrf.statusCode).toBe(403);
      expect(noCsrf.json<{ description: string }>().description).toContain('CSRF');
      const wrongCsrf = await app.inject({ ...write, headers: { ...operator.headers, 'x-csrf-token': 'forged' } });
      expect(wrongCsrf.statusCode).toBe(403);
    }
    expect((await app.inject({ url: `/ops/v1/advisories/${id}`, headers: operator.headers })).json<AdvisoryAnswer>().advisory.state).toBe(
      'draft',
    );
  });

  it('creates, translates, publishes, appends updates and lists revisions, each audited as the staff member', async () => {
    const advisory = await createAdvisory();
    const base = `/ops/v1/advisories/${advisory.id}`;
    const translated = await app.inject({
      method: 'PUT',
      url: `${base}/translations/fr`,
      headers: operator.headers,
      payload: { title: 'Mots de passe', body: 'Une copie a fuité.', machine_translated: true },
    });
    expect(translated.statusCode).toBe(200);
    expect(translated.json<AdvisoryTranslationAnswer>().translation).toMatchObject({
      locale: 'fr',
      machine_translated: true,
      outdated: false,
    });

    const edited = await app.inject({
      method: 'PUT',
      url: `${base}/translations/en`,
      headers: operator.headers,
      payload: { title: 'Passwords reset', body: 'A copy leaked in 2016.' },
    });
    expect(edited.json<AdvisoryTranslationAnswer>().translation).toMatchObject({ revision: 2, source_revision: 2, outdated: false });

    const published = await app.inject({ method: 'POST', url: `${base}/publish`, headers: operator.headers });
    expect(published.json<AdvisoryAnswer>().advisory).toMatchObject({ state: 'published', published_at: expect.any(String) });
    expect((await app.inject({ method: 'POST', url: `${base}/publish`, headers: operator.headers })).statusCode).toBe(409);

    const update = await app.inject({
      method: 'POST',
      url: `${base}/updates`,
      headers: operator.headers,
      payload: { body: 'All reset.', translations: [{ locale: 'fr', body: 'Tous réinitialisés.' }] },
    });
    expect(update.statusCode).toBe(201);
    expect(update.json<AdvisoryUpdateAnswer>().update).toMatchObject({
      seq: 1,
      posted_at: expect.any(String),
      actor: expect.stringMatching(/^staff:\d+$/),
      bodies: [
        { locale: 'en', is_source: true, machine_translated: false },
        { locale: 'fr', is_source: false, machine_translated: false },
      ],
    });
    const again = await app.inject({
      method: 'POST',
      url: `${base}/updates/1/translations/fr`,
      headers: operator.headers,
      payload: { body: 'Autre.' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ description: string }>().description).toContain('never rewritten');

    const shown = (await app.inject({ url: base, headers: operator.headers })).json<AdvisoryAnswer>().advisory;
    expect(shown.translations.map((t) => [t.locale, t.outdated])).toEqual([
      ['en', false],
      ['fr', true],
    ]);
    expect(shown.updates).toHaveLength(1);
    const revisions = (await app.inject({ url: `${base}/revisions?locale=en`, headers: operator.headers })).json<AdvisoryRevisionsAnswer>();
    expect(revisions.revisions.map((revision) => revision.revision)).toEqual([1, 2]);

    const listed = await app.inject({ url: '/ops/v1/advisories', headers: operator.headers });
    expect(listed.json<AdvisoryListAnswer>().advisories.find((a) => a.id === advisory.id)).toMatchObject({
      source_locale: 'en',
      incident_id: null,
      locales: ['en', 'fr'],
      pages: { en: expect.any(String), fr: expect.any(String) },
    });

    const actions = await database.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type'])
      .where('account_id', '=', PLATFORM_ACCOUNT_ID)
      .where('target_type', '=', 'advisory')
      .where('target_id', '=', String(advisory.id))
      .orderBy('seq')
      .execute();
    expect(actions).toEqual(
      [
        'advisory.created',
        'advisory.translation_saved',
        'advisory.translation_saved',
        'advisory.published',
        'advisory.update_appended',
      ].map((action) => ({ action, actor_type: 'staff' })),
    );
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });
  });

  it('answers in declared snake_case keys only, on every route', async () => {
    const advisory = await createAdvisory();
    const base = `/ops/v1/advisories/${advisory.id}`;
    const send = async <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<T> => {
      const response = await app.inject({ method, url, headers: operator.headers, ...(payload === undefined ? {} : { payload }) });
      expect(response.statusCode, `${method} ${url}`).toBeLessThan(300);
      return response.json<T>();
    };
    const answers = {
      translation: await send('PUT', `${base}/translations/fr`, { title: 'Titre', body: 'Texte.', machine_translated: true }),
      update: await send('POST', `${base}/updates`, { body: 'Reset.' }),
      updateTranslation: await send('POST', `${base}/updates/1/translations/fr`, { body: 'Réinitialisés.' }),
      published: await send('POST', `${base}/publish`),
      unpublished: await send('POST', `${base}/unpublish`),
      shown: await send<AdvisoryAnswer>('GET', base),
      listed: await send<AdvisoryListAnswer>('GET', '/ops/v1/advisories'),
      revisions: await send('GET', `${base}/revisions`),
      preview: await send('POST', '/ops/v1/advisories/preview', { body: '# Title' }),
    };
    for (const [name, answer] of Object.entries({ created: { advisory }, ...answers })) expect(camelCaseKeys(answer), name).toEqual([]);

    const shown = answers.shown.advisory;
    expect(Object.keys(shown).sort()).toEqual(Object.keys(advisoryDetailsWireSchema.properties).sort());
    const listed = answers.listed.advisories.find((item) => item.id === advisory.id);
    expect(Object.keys(listed ?? {}).sort()).toEqual(Object.keys(advisorySummaryWireSchema.properties).sort());
    expect(shown.translations.map((t) => [t.locale, t.is_source, t.machine_translated])).toEqual([
      ['en', true, false],
      ['fr', false, true],
    ]);
    expect(shown.updates[0]?.bodies.map((body) => body.locale)).toEqual(['en', 'fr']);
    expect(Object.keys(answers.preview)).toEqual(['html']);
  });

  it('answers bad input with a 4xx that names the problem', async () => {
    const { id } = await createAdvisory();
    const cases = [
      { url: '/ops/v1/advisories', method: 'POST' as const, payload: { title: 'x' }, status: 400, text: 'body' },
      {
        url: '/ops/v1/advisories',
        method: 'POST' as const,
        payload: { title: 'x', body: 'b', source_locale: 'de' },
        status: 422,
        text: 'en, fr',
      },
      { url: '/ops/v1/advisories', method: 'POST' as const, payload: { title: 'x', body: 'y'.repeat(300_000) }, status: 400, text: 'body' },
      {
        url: `/ops/v1/advisories/${id}/translations/xx`,
        method: 'PUT' as const,
        payload: { title: 't', body: 'b' },
        status: 404,
        text: 'available locales: en, fr',
      },
      {
        url: '/ops/v1/advisories/99999/translations/fr',
        method: 'PUT' as const,
        payload: { title: 't', body: 'b' },
        status: 404,
        text: 'Advisory 99999',
      },
      {
        url: `/ops/v1/advisories/${id}/updates`,
        method: 'POST' as const,
        payload: { body: '   ' },
        status: 422,
        text: 'body must not be empty',
      },
      {
        url: `/ops/v1/advisories/${id}/updates/1/translations/fr`,
        method: 'POST' as const,
        payload: { body: 'b' },
        status: 404,
        text: 'Update 1',
      },
    ];
    for (const { status, text, ...request } of cases) {
      const response = await app.inject({ ...request, headers: operator.headers });
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(status);
      expect(JSON.stringify(response.json()), `${request.method} ${request.url}`).toContain(text);
    }
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      expect(
        (await app.inject({ method, url: `/ops/v1/advisories/${id}/updates/1`, headers: operator.headers, payload: { body: 'x' } }))
          .statusCode,
      ).toBe(404);
    }
  });
});
