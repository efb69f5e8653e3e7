import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFrenchTranslation } from '../../../test/support/advisory-fixtures.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../../platform/audit/audit.service.js';
import { FixedClock } from '../../platform/clock.js';
import { declareIncident } from '../incidents/incidents.service.js';
import { publishedAdvisoryPathForIncident } from './advisory-links.js';
import { appendAdvisoryUpdate, listAdvisoryRevisions, saveAdvisoryTranslation, translateAdvisoryUpdate } from './advisory-edits.service.js';
import { createAdvisory, getAdvisory, listAdvisories, publishAdvisory, unpublishAdvisory } from './advisories.service.js';
import { testKeyring } from '../../../test/support/app.js';
import { type Keyring } from '../../platform/crypto/keyring.js';

const actor = { type: 'cli' as const };

describe.each(backends)('advisories on %s', (backend) => {
  let database: TestDatabase;
  let deps: { db: TestDatabase['db']; clock: FixedClock; keyring: Keyring };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = { db: database.db, clock: new FixedClock('2026-06-01T12:00:00.000Z'), keyring: testKeyring(database) };
  });
  afterAll(() => database.dispose());

  const create = () => createAdvisory(deps, { title: 'Passwords reset', body: '# What happened\nA copy leaked.', actor });
  const translation = async (id: number, locale: string) => (await getAdvisory(deps, id)).translations.find((t) => t.locale === locale);

  it('creates a draft whose source text is revision 1, audited', async () => {
    const advisory = await create();
    expect(advisory).toMatchObject({
      state: 'draft',
      sourceLocale: 'en',
      title: 'Passwords reset',
      locales: ['en'],
      publishedAt: null,
      pages: { en: `/hc/en/articles/${advisory.id}` },
    });
    expect(advisory.translations).toEqual([
      expect.objectContaining({ locale: 'en', revision: 1, sourceRevision: 1, isSource: true, outdated: false, machineTranslated: false }),
    ]);
    expect(advisory.revisions).toHaveLength(1);
    const events = await database.db.selectFrom('audit_events').selectAll().where('account_id', '=', PLATFORM_ACCOUNT_ID).execute();
    expect(events.map((event) => event.action)).toContain('advisory.created');
  });

  it('marks a translation outdated when the source changes, and current again when the translation is edited', async () => {
    const { id } = await create();
    deps.clock.advance(60_000);
    await addFrenchTranslation(deps, id);
    expect(await translation(id, 'fr')).toMatchObject({ revision: 1, sourceRevision: 1, outdated: false, machineTranslated: true });

    deps.clock.advance(60_000);
    await saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'en', title: 'Passwords reset', body: 'A copy leaked in 2016.', actor });
    expect(await translation(id, 'en')).toMatchObject({ revision: 2, outdated: false });
    expect(await translation(id, 'fr')).toMatchObject({ revision: 1, sourceRevision: 1, outdated: true });

    deps.clock.advance(60_000);
    const edited = await saveAdvisoryTranslation(deps, {
      advisoryId: id,
      locale: 'fr',
      title: 'Mots de passe',
      body: 'Une copie a fuité en 2016.',
      actor,
    });
    expect(edited).toMatchObject({ revision: 2, sourceRevision: 2, outdated: false, machineTranslated: false });
    expect(await translation(id, 'fr')).toMatchObject({ outdated: false });

    // Saving the source unchanged is not a change: the translation stays current.
    await saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'en', title: 'Passwords reset', body: 'A copy leaked in 2016.', actor });
    expect(await translation(id, 'fr')).toMatchObject({ outdated: false });
    expect(await translation(id, 'en')).toMatchObject({ revision: 2 });
  });

  it('keeps every revision as it was written', async () => {
    const { id } = await create();
    for (const body of ['second', 'third']) {
      deps.clock.advance(1000);
      await saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'en', title: `Title ${body}`, body, actor });
    }
    const revisions = await listAdvisoryRevisions(deps, id, 'en');
    expect(revisions.map((revision) => [revision.revision, revision.body, revision.title])).toEqual([
      [1, '# What happened\nA copy leaked.', 'Passwords reset'],
      [2, 'second', 'Title second'],
      [3, 'third', 'Title third'],
    ]);
    expect(new Set(revisions.map((revision) => revision.createdAt)).size).toBe(3);
    expect((await getAdvisory(deps, id)).title).toBe('Title third');
  });

  it('refuses unknown locales, empty text, machine-translated sources and unknown incidents with 422s that say what to do', async () => {
    const { id } = await create();
    await expect(saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'de', title: 't', body: 'b', actor })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('use one of en, fr'),
    });
    await expect(saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'fr', title: ' ', body: 'b', actor })).rejects.toMatchObject({
      status: 422,
      message: 'title must not be empty.',
    });
    await expect(
      saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'en', title: 't', body: 'b', machineTranslated: true, actor }),
    ).rejects.toMatchObject({ status: 422, message: expect.stringContaining('authoritative') });
    await expect(createAdvisory(deps, { title: 't', body: 'b', incidentId: 999, actor })).rejects.toMatchObject({ status: 422 });
    await expect(saveAdvisoryTranslation(deps, { advisoryId: 999, locale: 'fr', title: 't', body: 'b', actor })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('appends updates and never rewrites one', async () => {
    const { id } = await create();
    deps.clock.advance(1000);
    const first = await appendAdvisoryUpdate(deps, { advisoryId: id, body: 'All passwords reset.', actor });
    deps.clock.advance(1000);
    const second = await appendAdvisoryUpdate(deps, {
      advisoryId: id,
      body: 'Closed.',
      translations: [{ locale: 'fr', body: 'Clos.', machineTranslated: true }],
      actor,
    });
    expect([first.seq, second.seq]).toEqual([1, 2]);
    expect(second.bodies).toEqual([
      expect.objectContaining({ locale: 'en', body: 'Closed.', isSource: true, machineTranslated: false }),
      expect.objectContaining({ locale: 'fr', body: 'Clos.', isSource: false, machineTranslated: true }),
    ]);

    const translated = await translateAdvisoryUpdate(deps, { advisoryId: id, seq: 1, locale: 'fr', body: 'Tous réinitialisés.', actor });
    expect(translated.bodies.map((body) => body.locale)).toEqual(['en', 'fr']);
    for (const locale of ['fr', 'en'])
      await expect(translateAdvisoryUpdate(deps, { advisoryId: id, seq: 1, locale, body: 'Rewritten.', actor })).rejects.toMatchObject({
        status: 409,
        code: 'UpdateAlreadyWritten',
      });
    await expect(translateAdvisoryUpdate(deps, { advisoryId: id, seq: 9, locale: 'fr', body: 'x', actor })).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      appendAdvisoryUpdate(deps, { advisoryId: id, body: 'x', translations: [{ locale: 'en', body: 'y' }], actor }),
    ).rejects.toMatchObject({ status: 422 });

    const updates = (await getAdvisory(deps, id)).updates;
    expect(updates.map((update) => update.bodies.map((body) => body.body))).toEqual([
      ['All passwords reset.', 'Tous réinitialisés.'],
      ['Closed.', 'Clos.'],
    ]);
  });

  it('has no code path that rewrites an update or a revision', () => {
    // The repo is the only place that writes SQL for advisories; it must offer no UPDATE or DELETE of these tables.
    const repo = fs.readFileSync(new URL('./advisories.repo.ts', import.meta.url), 'utf8');
    for (const table of ['advisory_updates', 'advisory_update_bodies', 'advisory_revisions']) {
      expect(repo).not.toContain(`updateTable('${table}')`);
      expect(repo).not.toContain(`deleteFrom('${table}')`);
    }
    expect(repo).toContain("insertInto('advisory_update_bodies')");
  });

  it('publishes and unpublishes once each way, and links an incident to its published advisory', async () => {
    const incident = await declareIncident(deps, { title: 'Leak', becameAwareAt: '2026-05-31T00:00:00Z', actor });
    const { id } = await createAdvisory(deps, { title: 'Leak', body: 'Text', incidentId: incident.id, actor });
    expect(await publishedAdvisoryPathForIncident(deps.db, incident.id, 'fr')).toBeNull();

    const published = await publishAdvisory(deps, id, actor);
    expect(published).toMatchObject({ state: 'published', publishedAt: deps.clock.now().toISOString() });
    await expect(publishAdvisory(deps, id, actor)).rejects.toMatchObject({ status: 409 });
    expect(await publishedAdvisoryPathForIncident(deps.db, incident.id, 'fr')).toBe(`/hc/en/articles/${id}`);

    await saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'fr', title: 'Fuite', body: 'Texte', actor });
    expect(await publishedAdvisoryPathForIncident(deps.db, incident.id, 'fr-CA')).toBe(`/hc/fr/articles/${id}`);
    expect(await publishedAdvisoryPathForIncident(deps.db, incident.id, 'de')).toBe(`/hc/en/articles/${id}`);

    expect(await unpublishAdvisory(deps, id, actor)).toMatchObject({ state: 'draft', publishedAt: null });
    expect(await publishedAdvisoryPathForIncident(deps.db, incident.id, 'en')).toBeNull();
    expect((await listAdvisories(deps)).map((advisory) => advisory.id)).toContain(id);
    expect(await verifyAuditChains(deps.db, deps.keyring)).toMatchObject({ ok: true });
  });
});
