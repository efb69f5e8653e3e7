import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  foreignRequests,
  hasHorizontalScroll,
  launchChromium,
  openContext,
  recordFailure,
  screenshot,
  startConsoleServer,
  STALE_END_USERS,
  type ConsoleServer,
} from './console-server.js';
import { IN_ORDER } from '../support/in-order.js';

describe.skipIf(!chromiumAvailable)('operator console (Chromium), in order: each test builds on the ones before', IN_ORDER, () => {
  let server: ConsoleServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requests: string[];
  let campaignUrl = '';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startConsoleServer(), launchChromium()]);
    ({ context, page, requests } = await openContext(browser));
  });
  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') await recordFailure(page, test.task.name);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('signs an operator in with password and authenticator code', async () => {
    await page.goto(server.opsUrl);
    await page.getByRole('heading', { name: 'Operator sign-in' }).waitFor();
    await screenshot(page, 'ops-sign-in');
    await page.getByLabel('Email').fill(server.staff.email);
    await page.getByLabel('Password', { exact: true }).fill(server.staff.password);
    await page.getByLabel('Authenticator code').fill(await generate({ secret: server.staff.totpSecret }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    await page.getByRole('link', { name: /Password hashes exposed by a 2016 database copy/ }).waitFor();
    await screenshot(page, 'ops-incidents');
    // The staff cookie never leaves /ops.
    const cookie = (await context.cookies()).find((candidate) => candidate.name === 'riposte_staff');
    expect(cookie?.path).toBe('/ops');
  });

  it('shows the incident with its state, tasks and timeline', async () => {
    await page.getByRole('link', { name: /Password hashes exposed by a 2016 database copy/ }).click();
    await page.getByRole('heading', { name: /#\d+ · Password hashes exposed by a 2016 database copy/ }).waitFor();
    await page.getByText('Decide on notifying the supervisory authority (GDPR Art. 33)', { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.getByLabel('Move to').selectOption('identified');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByTestId('announcer').filter({ hasText: 'Incident moved to Identified.' }).waitFor();
    await screenshot(page, 'ops-incident');

    // A measure customers should hear of: added, then marked done and public.
    await page.getByLabel('Task', { exact: true }).fill('Forensic firm engaged');
    await page.getByRole('button', { name: 'Add a task' }).click();
    const task = page.locator('.task').filter({ hasText: 'Forensic firm engaged' });
    await task.getByRole('button', { name: 'Mark done and tell customers' }).click();
    await page.getByTestId('announcer').filter({ hasText: 'customers see it among what we have done' }).waitFor();
    await task.getByText('Shown to customers').waitFor();
  });

  it('validates a selector as the operator types and shows the scope per category with the difference between versions', async () => {
    await page.getByRole('link', { name: 'Exposures and scope' }).click();
    await page.getByRole('heading', { name: 'Scope', exact: true }).waitFor();
    const selector = page.getByLabel('Selector (JSON)');
    await selector.fill('{"all": [{"field": "user.shoe_size", "op": "eq", "value": 42}]}');
    await page.getByTestId('selector-status').filter({ hasText: 'all[0].field' }).waitFor();
    await selector.fill('{"all": [');
    await page.getByTestId('selector-status').filter({ hasText: 'Not valid JSON' }).waitFor();
    await selector.fill('{"field": "account.activated_at", "op": "before", "value": "2016-11-01T00:00:00Z"}');
    await page.getByTestId('selector-status').filter({ hasText: 'The selector is valid.' }).waitFor();
    // Version 3 added TLS keys for acme: the difference from version 2 says so.
    await page.getByTestId('scope-diff').filter({ hasText: 'acme' }).waitFor();
    expect(await page.getByTestId('scope-diff').textContent()).toContain('TLS private keys');
    await page.getByLabel('From', { exact: true }).selectOption('1');
    await page.getByTestId('scope-diff').filter({ hasText: 'App integration keys' }).waitFor();
    await page
      .getByRole('table', { name: /^Records per category/ })
      .filter({ hasText: 'Password hashes' })
      .waitFor();
    await page
      .getByRole('table', { name: /^Exposed password hashes by/ })
      .filter({ hasText: 'critical' })
      .waitFor();
    await screenshot(page, 'ops-scope');
  });

  it('runs a campaign after its dry run and watches progress reach 100% over server-sent events', async () => {
    await page.getByRole('link', { name: 'Rotation campaigns' }).click();
    await page.getByRole('heading', { name: 'New rotation campaign' }).waitFor();
    await page.getByTestId('selector-status').filter({ hasText: 'The selector is valid.' }).waitFor();
    await page.getByLabel('Users per batch').fill('5');
    await page.getByRole('button', { name: 'Dry run' }).click();
    const targets = page.getByTestId('dry-run-targets');
    await targets.waitFor();
    expect(await targets.textContent()).toContain(`${STALE_END_USERS} users`);
    await screenshot(page, 'ops-dry-run');

    await page.getByRole('button', { name: /Run the campaign/ }).click();
    await page.getByRole('heading', { name: /^Campaign \d+$/ }).waitFor();
    await page
      .getByTestId('campaign-percent')
      .filter({ hasText: /^100%$/ })
      .waitFor();
    await page.getByTestId('campaign-state').filter({ hasText: 'Done' }).waitFor();
    await page.getByText(`${STALE_END_USERS} of ${STALE_END_USERS} users flagged`, { exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Progress 100%' }).waitFor();
    expect(await page.locator('[data-testid="completion-chart"] path.chart__line--flagged').count()).toBe(1);
    await screenshot(page, 'ops-campaign');
    campaignUrl = page.url();

    // The progress came as an event stream, not by polling the campaign.
    const campaignId = /campaigns\/(\d+)$/.exec(page.url())?.[1];
    expect(requests.filter((url) => url.endsWith(`/ops/v1/campaigns/${campaignId}/events`)).length).toBeGreaterThanOrEqual(1);
    expect(requests.filter((url) => url.endsWith(`/ops/v1/campaigns/${campaignId}`))).toEqual([]);
    const flagged = await server.runtime.db
      .selectFrom('campaign_targets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', Number(campaignId))
      .where('flagged_at', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(Number(flagged.n)).toBe(STALE_END_USERS);
  });

  it('queues the incident’s notices and reports them sent, pending and failed', async () => {
    await page.goto(`${server.opsUrl}incidents/${server.incidentId}/notices`);
    await page.getByRole('heading', { name: 'Send notices' }).waitFor();
    await page.getByRole('button', { name: 'Queue the notices' }).click();
    await page.getByTestId('announcer').filter({ hasText: 'Notices are being queued' }).waitFor();
    // Queuing runs as a job: wait for the queue to finish it, then refresh the report.
    await server.runtime.jobs.drain();
    await page.getByRole('button', { name: 'Refresh the report' }).click();
    await page.getByTestId('announcer').filter({ hasText: 'Report refreshed.' }).waitFor();
    const totals = page.getByTestId('notice-totals');
    const counts = await totals.locator('dd').allTextContents();
    expect(counts.map(Number).reduce((sum, value) => sum + value, 0)).toBeGreaterThan(0);
    await page.getByRole('table').filter({ hasText: 'lumiere' }).waitFor();
    await screenshot(page, 'ops-notices');

    // A notice the relay refused for good is sent again from the failures list.
    const [refused] = await server.runtime.db
      .updateTable('messages')
      .set({
        state: 'failed',
        sent_at: null,
        last_error: 'EMESSAGE 554: 554 Relay access denied',
        last_response: '554 Relay access denied',
      })
      .where('incident_id', '=', server.incidentId)
      .where('purpose', '=', 'customer_incident_notice')
      .returning('id')
      .execute();
    expect(refused).toBeDefined();
    await page.getByRole('button', { name: 'Refresh the report' }).click();
    await page.getByText('554 Relay access denied').first().waitFor();
    await screenshot(page, 'ops-notices-failed');
    await page.getByRole('button', { name: 'Send the failed notices again' }).click();
    await page.getByTestId('announcer').filter({ hasText: 'The failed notices are being queued again' }).waitFor();
    await server.runtime.jobs.drain();
    await server.runtime.jobs.drain();
    await page.getByRole('button', { name: 'Refresh the report' }).click();
    await page.getByRole('heading', { name: 'Failures' }).waitFor({ state: 'detached' });
    expect(await totals.locator('dd').nth(2).textContent()).toBe('0');
  });

  it('writes the advisory with a preview per language, publishes it and links to the public page', async () => {
    await page.getByRole('link', { name: 'Advisory', exact: true }).click();
    await page.getByRole('heading', { name: 'Write the public advisory' }).waitFor();
    await page
      .getByLabel('Text (Markdown)')
      .fill('We found a **2016 copy** of a database.\n\n## What to do\n\nChoose a new password when asked.');
    await page.getByRole('button', { name: 'Create the draft' }).click();
    await page.getByTestId('advisory-preview').locator('strong', { hasText: '2016 copy' }).waitFor();

    await page
      .getByRole('group', { name: 'Language being edited' })
      .getByRole('button', { name: /Français/ })
      .click();
    await page.getByLabel('Title').fill('Empreintes de mots de passe exposées');
    await page.getByLabel('Text (Markdown)').fill('Nous avons trouvé une **copie de 2016**.');
    const preview = page.getByTestId('advisory-preview');
    await preview.locator('strong', { hasText: 'copie de 2016' }).waitFor();
    expect(await preview.getAttribute('lang')).toBe('fr');
    await page.getByRole('button', { name: 'Save the fr text' }).click();
    await page.getByTestId('announcer').filter({ hasText: 'The fr text was saved' }).waitFor();
    await screenshot(page, 'ops-advisory');

    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByTestId('announcer').filter({ hasText: 'Advisory published.' }).waitFor();
    const link = page.getByRole('link', { name: /\/hc\/fr\/articles\/\d+/ });
    const href = await link.getAttribute('href');
    const article = await context.newPage();
    await article.goto(`http://localhost:${server.port}${href ?? ''}`);
    await article.getByText('copie de 2016').waitFor();
    await article.close();
  });

  it('changes an account’s status and products, recorded on the account’s audit trail', async () => {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor();
    await page.getByLabel('Subdomain').fill('acme');
    await page.getByRole('button', { name: 'Find the account' }).click();
    await page.getByRole('heading', { name: /\(acme\)$/ }).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('active');
    await page.getByLabel('Status').selectOption('inactive');
    await page.getByRole('checkbox', { name: 'talk' }).check();
    await page.getByRole('button', { name: 'Save the account' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await screenshot(page, 'ops-account');
    const [event] = await server.runtime.db
      .selectFrom('audit_events as e')
      .innerJoin('accounts as a', 'a.id', 'e.account_id')
      .select(['e.actor_type', 'e.data'])
      .where('a.subdomain', '=', 'acme')
      .where('e.action', '=', 'account.lifecycle_changed')
      .execute();
    expect(event?.actor_type).toBe('staff');
    expect(JSON.parse(event?.data ?? '{}')).toMatchObject({ from: { status: 'active' }, to: { status: 'inactive' } });
    expect((JSON.parse(event?.data ?? '{}') as { to: { products: string[] } }).to.products).toContain('talk');
    // A wrong date is refused with what to do, and changes nothing.
    await page.getByLabel('Activated at').fill('2099-01-01T00:00:00Z');
    await page.getByRole('button', { name: 'Save the account' }).click();
    await page.getByRole('alert').filter({ hasText: 'in the future' }).waitFor();
  });

  it('fits a 390-pixel-wide screen without scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await hasHorizontalScroll(page)).toBe(false);
    await page.goto(campaignUrl);
    await page
      .getByTestId('campaign-percent')
      .filter({ hasText: /^100%$/ })
      .waitFor();
    expect(await hasHorizontalScroll(page)).toBe(false);
    await screenshot(page, 'ops-campaign-390');
    await page.goto(server.opsUrl);
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    expect(await hasHorizontalScroll(page)).toBe(false);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('loaded nothing from outside the server', () => {
    expect(requests.length).toBeGreaterThan(5);
    expect(foreignRequests(requests, server.port)).toEqual([]);
  });
});
