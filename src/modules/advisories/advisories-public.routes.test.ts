import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { addFrenchTranslation } from '../../../test/support/advisory-fixtures.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { appendAdvisoryUpdate, saveAdvisoryTranslation, translateAdvisoryUpdate } from './advisory-edits.service.js';
import { createAdvisory, publishAdvisory, unpublishAdvisory } from './advisories.service.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

const actor = { type: 'cli' as const };
const PAYLOADS =
  '<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[a](javascript:alert(3)) [b](JAVASCRIPT:alert(4)) [c](data:text/html,x) [d](javascript&#58;alert(5))';

/** Every URL the page points at, in an attribute a browser would follow or load. */
const urlsOf = (html: string): string[] =>
  [...html.matchAll(/\s(?:src|href|action|formaction|poster|data)="([^"]*)"/gi)].map((match) => match[1] ?? '');

describe.each(backends)('public advisory routes on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let id: number;
  let draftId: number;
  let englishOnlyId: number;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    ({ id } = await createAdvisory(deps, {
      title: 'Passwords reset <after> a "leak"',
      body: `# What happened\n\nA copy leaked.\n\n${PAYLOADS}`,
      actor,
    }));
    await addFrenchTranslation(deps, id);
    await publishAdvisory(deps, id, actor);
    deps.clock.advance(3_600_000);
    await appendAdvisoryUpdate(deps, { advisoryId: id, body: 'First: all reset. <script>alert(6)</script> & done', actor });
    await translateAdvisoryUpdate(deps, { advisoryId: id, seq: 1, locale: 'fr', body: 'Premier : tous réinitialisés.', actor });
    deps.clock.advance(3_600_000);
    await appendAdvisoryUpdate(deps, { advisoryId: id, body: 'Second: closed.', actor });
    ({ id: draftId } = await createAdvisory(deps, { title: 'Not yet', body: 'Secret draft', actor }));
    ({ id: englishOnlyId } = await createAdvisory(deps, { title: 'English only', body: 'Text', actor }));
    await publishAdvisory(deps, englishOnlyId, actor);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('serves an accessible page that needs no JavaScript and loads nothing from elsewhere, under a strict CSP', async () => {
    const response = await app.inject({ url: `/hc/en/articles/${id}`, headers: { host: 'nobody.example.test' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = response.body;
    expect(html).toMatch(/^<!doctype html>\n<html lang="en" dir="ltr">/);
    expect(html).toContain('<a class="skip-link" href="#content">');
    expect(html).toContain('<main id="content" tabindex="-1">');
    expect(html).toMatch(/<header class="site">[\s\S]*<nav aria-label="Languages">/);
    expect(html).toContain('<footer class="site-footer">');
    expect(html).toContain('<h1 id="title">Passwords reset &lt;after&gt; a &quot;leak&quot;</h1>');
    expect(html).toContain('<h2>What happened</h2>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    for (const url of urlsOf(html)) expect(url, url).toMatch(/^(\/(?![/\\])|#)/);

    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`'sha256-${crypto.createHash('sha256').update(style).digest('base64')}'`);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('links the other locales with hreflang and the feed, and lists dated updates newest first', async () => {
    const html = (await app.inject({ url: `/hc/en/articles/${id}` })).body;
    expect(html).toContain(`<link rel="alternate" hreflang="fr" href="/hc/fr/articles/${id}">`);
    expect(html).toContain(`<a href="/hc/fr/articles/${id}" hreflang="fr" lang="fr">Français</a>`);
    expect(html).toContain(`<a href="/hc/en/articles/${id}" hreflang="en" lang="en" aria-current="page">English</a>`);
    expect(html).toContain(`href="/hc/en/articles/${id}/updates.atom"`);
    const times = [...html.matchAll(/<li id="update-(\d+)">\n<h3><time datetime="([^"]+)">/g)].map((m) => [m[1], m[2]]);
    expect(times).toEqual([
      ['2', '2026-06-01T14:00:00.000Z'],
      ['1', '2026-06-01T13:00:00.000Z'],
    ]);
    expect(html).toContain('First: all reset. &lt;script&gt;alert(6)&lt;/script&gt; &amp; done');
  });

  it('tells readers of a machine translation where the source is, and when the source has moved on', async () => {
    let html = (await app.inject({ url: `/hc/fr/articles/${id}` })).body;
    expect(html).toContain('<html lang="fr" dir="ltr">');
    expect(html).toContain('traduite automatiquement');
    expect(html).toContain(`<a href="/hc/en/articles/${id}" hreflang="en" lang="en">lire l’original</a>`);
    expect(html).not.toContain('a changé depuis');
    // Update 1 is in French; update 2 only in English, marked as such.
    expect(html).toContain('Premier : tous réinitialisés.');
    expect(html).toMatch(/pas encore traduite[^<]*<\/p>\n<div lang="en">\n<p>Second: closed.<\/p>/);

    await saveAdvisoryTranslation(deps, { advisoryId: id, locale: 'en', title: 'Passwords reset', body: 'A copy leaked in 2016.', actor });
    html = (await app.inject({ url: `/hc/fr/articles/${id}` })).body;
    expect(html).toContain('L’original en anglais a changé depuis la dernière modification de cette traduction');
  });

  it('answers in the Help Center article shape', async () => {
    // A forged Host must not reach the links: they come from the configured public address.
    const response = await app.inject({ url: `/api/v2/help_center/fr/articles/${id}.json`, headers: { host: 'evil.test' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('evil.test');
    const { article } = response.json<{ article: Record<string, unknown> }>();
    expect(article).toMatchObject({
      id,
      url: `http://localhost:3000/api/v2/help_center/fr/articles/${id}.json`,
      html_url: `http://localhost:3000/hc/fr/articles/${id}`,
      title: 'Mots de passe',
      body: '<p>Une copie a fuité.</p>\n',
      locale: 'fr',
      source_locale: 'en',
      outdated: true,
      outdated_locales: ['fr'],
      draft: false,
      machine_translated: true,
      author_id: null,
      section_id: null,
      comments_disabled: true,
      label_names: ['security-advisory'],
      created_at: expect.any(String),
      updated_at: expect.any(String),
      edited_at: expect.any(String),
    });
    expect(article.translations).toEqual([
      expect.objectContaining({ locale: 'en', outdated: false }),
      expect.objectContaining({ locale: 'fr', outdated: true, machine_translated: true }),
    ]);
    expect(article.updates).toEqual([
      { id: 2, posted_at: '2026-06-01T14:00:00.000Z', locale: 'en', machine_translated: false, body: '<p>Second: closed.</p>\n' },
      {
        id: 1,
        posted_at: '2026-06-01T13:00:00.000Z',
        locale: 'fr',
        machine_translated: false,
        body: '<p>Premier : tous réinitialisés.</p>\n',
      },
    ]);
  });

  it('publishes a valid Atom feed with one escaped entry per update', async () => {
    const response = await app.inject({ url: `/hc/en/articles/${id}/updates.atom`, headers: { host: 'evil.test' } });
    expect(response.body).not.toContain('evil.test');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(XMLValidator.validate(response.body)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry' || name === 'link' }).parse(
      response.body,
    ) as {
      feed: {
        '@_xmlns': string;
        id: string;
        updated: string;
        entry: Array<{ id: string; updated: string; content: { '#text': string; '@_type': string } }>;
      };
    };
    expect(parsed.feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(parsed.feed.id).toBe(`http://localhost:3000/hc/en/articles/${id}/updates.atom`);
    expect(parsed.feed.updated).toBe('2026-06-01T14:00:00.000Z');
    expect(parsed.feed.entry.map((entry) => entry.id)).toEqual([
      `http://localhost:3000/hc/en/articles/${id}#update-2`,
      `http://localhost:3000/hc/en/articles/${id}#update-1`,
    ]);
    const first = parsed.feed.entry[1]?.content;
    expect(first?.['@_type']).toBe('html');
    // The entry's HTML, once unescaped from XML, still shows the script as text.
    expect(first?.['#text']).toContain('&lt;script&gt;alert(6)&lt;/script&gt; &amp; done');
    expect(response.body).not.toContain('<script>');
  });

  it('hides drafts, unpublished advisories and missing translations, and names the locales that exist', async () => {
    for (const url of [
      `/hc/en/articles/${draftId}`,
      `/api/v2/help_center/en/articles/${draftId}.json`,
      `/hc/en/articles/${draftId}/updates.atom`,
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('Secret draft');
      expect(response.body).not.toContain('Not yet');
    }
    const unknown = await app.inject({ url: `/api/v2/help_center/de/articles/${id}.json` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ description: string }>().description).toContain('available locales: en, fr');

    const missing = await app.inject({ url: `/hc/fr/articles/${englishOnlyId}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.body).toContain('<html lang="fr"');
    expect(missing.body).toContain(`<a href="/hc/en/articles/${englishOnlyId}" hreflang="en" lang="en">English</a>`);
    const missingJson = await app.inject({ url: `/api/v2/help_center/fr/articles/${englishOnlyId}.json` });
    expect(missingJson.json()).toMatchObject({ details: { available_locales: ['en'] } });

    const withdrawn = await createAdvisory(deps, { title: 'Withdrawn', body: 'Was public once', actor });
    await publishAdvisory(deps, withdrawn.id, actor);
    expect((await app.inject({ url: `/hc/en/articles/${withdrawn.id}` })).statusCode).toBe(200);
    await unpublishAdvisory(deps, withdrawn.id, actor);
    for (const url of [
      `/hc/en/articles/${withdrawn.id}`,
      `/api/v2/help_center/en/articles/${withdrawn.id}`,
      `/hc/en/articles/${withdrawn.id}/updates.atom`,
    ])
      expect((await app.inject({ url })).statusCode, url).toBe(404);

    const zendeskStyle = await app.inject({ url: `/hc/en-us/articles/${id}` });
    expect(zendeskStyle.statusCode).toBe(301);
    expect(zendeskStyle.headers.location).toBe(`/hc/en/articles/${id}`);
    expect((await app.inject({ url: '/hc/en/articles/1e400' })).statusCode).toBe(400);
  });

  it('documents the JSON route under the path the tenant-isolation sweep exempts as public', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v2/help_center/{locale}/articles/{id}',
        '/hc/{locale}/articles/{id}',
        '/hc/{locale}/articles/{id}/updates.atom',
      ]),
    );
  });

  it('rate-limits each public route per client', async () => {
    const url = `/api/v2/help_center/en/articles/${englishOnlyId}.json`;
    const statuses: number[] = [];
    for (let i = 0; i < 301; i += 1) statuses.push((await app.inject({ url, remoteAddress: '203.0.113.9' })).statusCode);
    expect(statuses.slice(0, 300).every((status) => status === 200)).toBe(true);
    expect(statuses[300]).toBe(429);
    expect((await app.inject({ url, remoteAddress: '203.0.113.10' })).statusCode).toBe(200);
  });
});
