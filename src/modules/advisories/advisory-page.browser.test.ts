import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { addFrenchTranslation } from '../../../test/support/advisory-fixtures.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { appendAdvisoryUpdate } from './advisory-edits.service.js';
import { createAdvisory, publishAdvisory } from './advisories.service.js';

const CHROMIUM = [process.env.RIPOSTE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (candidate) => candidate !== undefined && fs.existsSync(candidate),
);
if (CHROMIUM === undefined) process.stderr.write('advisory page browser test skipped: no Chromium found (set RIPOSTE_CHROMIUM)\n');

const actor = { type: 'cli' as const };

/** WCAG relative luminance contrast of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (rgb: string): number => {
    const [r = 0, g = 0, bl = 0] = (rgb.match(/\d+(\.\d+)?/g) ?? []).map(Number).map((channel) => {
      const c = channel / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

describe.skipIf(CHROMIUM === undefined).each(backends)('the advisory page in a browser without JavaScript on %s', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let browser: Browser;
  let origin: string;
  let id: number;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const deps = testDeps(database);
    app = await buildTestApp(deps);
    origin = await app.listen({ port: 0, host: '127.0.0.1' });
    ({ id } = await createAdvisory(deps, { title: 'Passwords reset', body: 'A copy leaked.\n\n<img src=x onerror=alert(1)>', actor }));
    await addFrenchTranslation(deps, id);
    await publishAdvisory(deps, id, actor);
    deps.clock.advance(60_000);
    await appendAdvisoryUpdate(deps, { advisoryId: id, body: 'All reset.', actor });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser.close();
    await app.close();
    await database.dispose();
  });

  async function open(path: string): Promise<{ page: Page; requests: string[]; problems: string[] }> {
    const context = await browser.newContext({ javaScriptEnabled: false, colorScheme: 'light' });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    // The browser's own favicon probe is the one request allowed to fail; any other failure, or a CSP report, is a problem.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const response = await page.goto(`${origin}${path}`);
    expect(response?.status()).toBe(200);
    return { page, requests, problems };
  }

  it('renders fully, styled by its own CSS only, requesting nothing from anywhere else', async () => {
    const { page, requests, problems } = await open(`/hc/fr/articles/${id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Mots de passe');
    expect(await page.getByRole('main').isVisible()).toBe(true);
    expect(await page.getByRole('banner').isVisible()).toBe(true);
    expect(await page.getByRole('contentinfo').isVisible()).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Langues' }).getByRole('link').allTextContents()).toEqual(['English', 'Français']);
    expect(await page.getByRole('heading', { level: 2, name: 'Mises à jour' }).isVisible()).toBe(true);
    expect(await page.getByRole('note').first().textContent()).toContain('traduite automatiquement');
    // The machine-translation notice is styled: the CSP's hash let the inline style sheet apply.
    const notice = await page
      .getByRole('note')
      .first()
      .evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(notice).toBe('rgb(255, 244, 206)');
    expect(
      requests.every((url) => url.startsWith(`${origin}/`)),
      requests.join(' '),
    ).toBe(true);
    expect(problems).toEqual([]);
  });

  it('offers a skip link first in the tab order, and text and links with enough contrast', async () => {
    const { page } = await open(`/hc/en/articles/${id}`);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to the advisory' });
    expect(await skip.evaluate((element) => element === document.activeElement)).toBe(true);
    const box = await skip.boundingBox();
    expect(box !== null && box.x >= 0 && box.y >= 0).toBe(true);
    await page.keyboard.press('Enter');
    expect(page.url()).toBe(`${origin}/hc/en/articles/${id}#content`);

    const colours = await page.evaluate(() => {
      const style = (selector: string) => getComputedStyle(document.querySelector(selector) ?? document.body);
      return {
        text: style('body').color,
        background: style('html').backgroundColor,
        link: style('footer a').color,
        meta: style('.meta').color,
      };
    });
    expect(contrast(colours.text, colours.background)).toBeGreaterThanOrEqual(7);
    expect(contrast(colours.link, colours.background)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(colours.meta, colours.background)).toBeGreaterThanOrEqual(4.5);
  });
});
