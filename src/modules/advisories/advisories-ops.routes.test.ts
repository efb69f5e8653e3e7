import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../../../test/support/staff-fixtures.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { AdvisoryDetails, AdvisoryRevision, AdvisoryTranslation, AdvisoryUpdate } from './advisory.schema.js';

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

  async function createAdvisory(): Promise<AdvisoryDetails> {
    const response = await app.inject({
      method: 'POST',
      url: '/ops/v1/advisories',
      headers: operator.headers,
      payload: { title: 'Passwords reset', body: '# What happened\n\nA copy leaked.' },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ advisory: AdvisoryDetails }>().advisory;
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
    expect(
      (await app.inject({ url: `/ops/v1/advisories/${id}`, headers: operator.headers })).json<{ advisory: AdvisoryDetails }>().advisory
        .state,
    ).toBe('draft');
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
    expect(translated.json<{ translation: AdvisoryTranslation }>().translation).toMatchObject({
      locale: 'fr',
      machineTranslated: true,
      outdated: false,
    });

    const edited = await app.inject({
      method: 'PUT',
      url: `${base}/translations/en`,
      headers: operator.headers,
      payload: { title: 'Passwords reset', body: 'A copy leaked in 2016.' },
    });
    expect(edited.json<{ translation: AdvisoryTranslation }>().translation).toMatchObject({ revision: 2, outdated: false });

    const published = await app.inject({ method: 'POST', url: `${base}/publish`, headers: operator.headers });
    expect(published.json<{ advisory: AdvisoryDetails }>().advisory.state).toBe('published');
    expect((await app.inject({ method: 'POST', url: `${base}/publish`, headers: operator.headers })).statusCode).toBe(409);

    const update = await app.inject({
      method: 'POST',
      url: `${base}/updates`,
      headers: operator.headers,
      payload: { body: 'All reset.', translations: [{ locale: 'fr', body: 'Tous réinitialisés.' }] },
    });
    expect(update.statusCode).toBe(201);
    expect(update.json<{ update: AdvisoryUpdate }>().update).toMatchObject({ seq: 1, actor: expect.stringMatching(/^staff:\d+$/) });
    const again = await app.inject({
      method: 'POST',
      url: `${base}/updates/1/translations/fr`,
      headers: operator.headers,
      payload: { body: 'Autre.' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ description: string }>().description).toContain('never rewritten');

    const shown = (await app.inject({ url: base, headers: operator.headers })).json<{ advisory: AdvisoryDetails }>().advisory;
    expect(shown.translations.map((t) => [t.locale, t.outdated])).toEqual([
      ['en', false],
      ['fr', true],
    ]);
    expect(shown.updates).toHaveLength(1);
    const revisions = (await app.inject({ url: `${base}/revisions?locale=en`, headers: operator.headers })).json<{
      revisions: AdvisoryRevision[];
    }>();
    expect(revisions.revisions.map((revision) => revision.revision)).toEqual([1, 2]);

    const listed = await app.inject({ url: '/ops/v1/advisories', headers: operator.headers });
    expect(listed.json<{ advisories: Array<{ id: number }> }>().advisories.map((a) => a.id)).toContain(advisory.id);

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
    expect(await verifyAuditChains(database.db)).toMatchObject({ ok: true });
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
