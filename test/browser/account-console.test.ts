import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createApiToken } from '../../src/modules/auth/api-tokens/api-tokens.service.js';
import { createClient } from '../../src/modules/auth/oauth/oauth-clients.service.js';
import { updateSsoConfig } from '../../src/modules/auth/sso/sso-config.service.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import {
  chromiumAvailable,
  ACME_DOMAIN,
  ADMIN,
  EVE,
  FRENCH_ADMIN,
  foreignRequests,
  hasHorizontalScroll,
  launchChromium,
  openContext,
  recordFailure,
  screenshot,
  startConsoleServer,
  type ConsoleServer,
} from './console-server.js';
import { IN_ORDER } from '../support/in-order.js';

/** Lumière signs in through its identity provider (JWT remote login), as its admin would set it up. */
async function enableJwtSso(server: ConsoleServer): Promise<void> {
  const { db } = server.runtime;
  const account = await db.selectFrom('accounts').selectAll().where('subdomain', '=', 'lumiere').executeTakeFirstOrThrow();
  const user = await db.selectFrom('users').selectAll().where('email', '=', FRENCH_ADMIN.email).executeTakeFirstOrThrow();
  const principal = { account, user, via: 'session' as const, scopes: new Set(['read', 'write'] as const), credentialId: null };
  const jwt = {
    enabled: true,
    shared_secret: 'a shared secret of forty characters.....',
    remote_login_url: 'https://idp.lumiere.test/login',
  };
  await updateSsoConfig(server.runtime, principal, { jwt }, server.accountUrl('lumiere'));
}

/** Acme's API token, OAuth client and JWT shared secret, dated before the incident's cutoff, and the incident's exposure of them. */
async function exposeAcmeCredentials(server: ConsoleServer): Promise<void> {
  const { db } = server.runtime;
  const account = await db.selectFrom('accounts').selectAll().where('subdomain', '=', 'acme').executeTakeFirstOrThrow();
  const user = await db.selectFrom('users').selectAll().where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
  const principal = { account, user, via: 'session' as const, scopes: new Set(['read', 'write'] as const), credentialId: null };
  await createApiToken(server.runtime, principal, { description: 'Helpdesk sync' });
  await createClient(server.runtime, principal, {
    name: 'Reporting',
    identifier: 'reporting',
    redirect_uri: ['https://reports.acme.test/callback'],
  });
  const jwt = { enabled: true, shared_secret: 'acme shared secret of forty characters..', remote_login_url: 'https://idp.acme.test/login' };
  await updateSsoConfig(server.runtime, principal, { jwt }, server.accountUrl('acme'));
  const old = '2016-03-01T00:00:00.000Z';
  await db.updateTable('api_tokens').set({ created_at: old }).where('account_id', '=', account.id).execute();
  await db.updateTable('oauth_clients').set({ secret_set_at: old }).where('account_id', '=', account.id).execute();
  await db.updateTable('sso_configs').set({ jwt_secret_set_at: old }).where('account_id', '=', account.id).execute();
  await addExposure(server.runtime, {
    incidentId: server.incidentId,
    category: 'auth_credentials',
    accountIds: [Number(account.id)],
    actor: { type: 'cli' },
  });
}

/** As a rotation campaign leaves a target: the next sign-in must choose a new password. */
async function requirePasswordChange(server: ConsoleServer, email: string): Promise<void> {
  const user = await server.runtime.db
    .selectFrom('users')
    .select(['account_id', 'id'])
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  await server.runtime.db
    .updateTable('password_credentials')
    .set({ must_change: 1, must_change_reason: 'incident', must_change_incident_id: server.incidentId })
    .where('account_id', '=', user.account_id)
    .where('user_id', '=', user.id)
    .execute();
}

describe.skipIf(!chromiumAvailable)(
  'web console on an account host (Chromium), in order: each test builds on the ones before',
  IN_ORDER,
  () => {
    let server: ConsoleServer;
    let browser: Browser;

    beforeAll(async () => {
      [server, browser] = await Promise.all([startConsoleServer(), launchChromium()]);
      await requirePasswordChange(server, EVE.email);
      await enableJwtSso(server);
    });
    /** The page of the test running, for `recordFailure`. */
    let current: Page | undefined;
    afterEach(async (test) => {
      if (test.task.result?.state === 'fail' && current !== undefined) await recordFailure(current, test.task.name);
      current = undefined;
    });
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('makes an end user whose rotation is pending choose a new password, refuses the old one, then lets them in', async () => {
      const { context, page, requests } = await openContext(browser);
      await page.goto(`${server.accountUrl('acme')}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/access/sign_in');
      await screenshot(page, 'sign-in');

      await page.getByLabel('Email').fill(EVE.email);
      await page.getByLabel('Password', { exact: true }).fill(EVE.oldPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      // Nothing but the change step: no session yet.
      const cookies = await context.cookies();
      expect(cookies.find((cookie) => cookie.name === 'riposte_session')?.value ?? '').toBe('');

      // Live feedback on the policy as the person types.
      const newPassword = page.getByLabel('New password', { exact: true });
      await newPassword.fill('eve');
      await page.locator('[data-rule="min_length"].rule--fail').waitFor();
      await newPassword.fill('eve is my password now');
      await page.locator('[data-rule="contains_email"].rule--fail').waitFor();
      await newPassword.fill(EVE.newPassword);
      await page.locator('[data-rule="min_length"].rule--pass').waitFor();
      await page.locator('[data-rule="blocklisted"].rule--pass').waitFor();
      expect(await page.locator('.strength__label').textContent()).toMatch(/Strength: (strong|very strong)/);
      await screenshot(page, 'password-change');

      // The old password is refused by the server: it is one of the last ones.
      await newPassword.fill(EVE.oldPassword);
      await page.getByLabel('Type the new password again').fill(EVE.oldPassword);
      await page.getByRole('button', { name: 'Save the new password and continue' }).click();
      await page.getByRole('alert').filter({ hasText: 'You have used this password before' }).waitFor();
      expect(await page.locator('[data-rule="reused"]').getAttribute('class')).toContain('rule--fail');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('new-password');

      await newPassword.fill(EVE.newPassword);
      await page.getByLabel('Type the new password again').fill(EVE.newPassword);
      await page.getByRole('button', { name: 'Save the new password and continue' }).click();
      await page.getByRole('heading', { name: 'You are signed in to Acme Outfitters' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      await screenshot(page, 'app-home');

      // The user's own sessions, with the current one marked.
      await page.getByRole('link', { name: 'Your sessions' }).first().click();
      await page.getByRole('heading', { name: 'Your sessions' }).waitFor();
      await page.getByText('This browser').waitFor();
      await screenshot(page, 'sessions');

      // Sign out, and the new password is the one that works now.
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Email').fill(EVE.email);
      await page.getByLabel('Password', { exact: true }).fill(EVE.newPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'You are signed in to Acme Outfitters' }).waitFor();

      expect(foreignRequests(requests, server.port)).toEqual([]);
      await context.close();
    });

    it('lets a customer admin rotate an installation key from the to-do list and shows the item done', async () => {
      const { context, page, requests } = await openContext(browser);
      await page.goto(`${server.accountUrl('acme')}/security`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();

      // Back where the admin was going: the security center, with the banner.
      await page.getByRole('heading', { name: 'Security center' }).waitFor();
      await page.getByRole('region', { name: /Your account is affected/ }).waitFor();
      expect(await page.locator('.chips').textContent()).toContain('App integration keys');
      const slack = page.getByTestId('action-item').filter({ hasText: 'Rotate the keys of Slack' });
      await slack.waitFor();
      expect(await page.getByTestId('action-item').filter({ hasText: 'Jira' }).count()).toBe(0);
      await screenshot(page, 'security-center');

      await slack.getByLabel('New value of api_token').fill('xoxb-rotated-from-the-console');
      await slack.getByRole('button', { name: 'Save the new keys' }).click();
      const done = page.locator('[data-testid="action-item"][data-state="done"]');
      await done.filter({ hasText: 'Keys of Slack rotated' }).waitFor();
      await page.getByTestId('announcer').filter({ hasText: 'Keys of Slack rotated' }).waitFor();
      await screenshot(page, 'security-center-done');

      // The server agrees: the installation is off the to-do list, after a reload too.
      const view = await page.evaluate(async () => {
        const response = await fetch('/api/v2/security/incidents.json');
        return (await response.json()) as { incidents: Array<{ action_items: Array<{ kind: string }> }> };
      });
      expect(view.incidents[0]?.action_items.map((item) => item.kind)).toEqual(['replace_certificate']);
      await page.reload();
      await page.getByTestId('action-item').filter({ hasText: 'Replace the certificate for help.acme.test' }).waitFor();
      expect(await page.getByTestId('action-item').filter({ hasText: 'Slack' }).count()).toBe(0);

      expect(foreignRequests(requests, server.port)).toEqual([]);
      await context.close();
    });

    it('lets the admin upload and activate a new certificate, then revoke the exposed one from the to-do list', async () => {
      const { context, page, requests } = await openContext(browser);
      current = page;
      await page.goto(`${server.accountUrl('acme')}/access/sign_in?return_to=%2Fsecurity`);
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const exposed = page.getByTestId('action-item').filter({ hasText: `Replace the certificate for ${ACME_DOMAIN}` });
      await exposed.getByText(/expires on 1 Apr 2030/).waitFor();

      await page.getByLabel('Certificate chain (PEM)').fill(server.replacementCertificate.certificatePem);
      await page.getByLabel('Private key (PEM)').fill(server.replacementCertificate.keyPem);
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await page.getByTestId('announcer').filter({ hasText: 'Certificate uploaded.' }).waitFor();
      const certificates = page.getByTestId('certificates');
      const pending = certificates.getByRole('listitem').filter({ hasText: 'Pending' });
      await pending.getByText(/Expires on 1 Jan 2035 \(in [\d,]+ days\)/).waitFor();
      await pending.getByRole('button', { name: 'Activate' }).click();
      await page
        .getByTestId('announcer')
        .filter({ hasText: `Certificate for ${ACME_DOMAIN} activated.` })
        .waitFor();
      await certificates.getByText('Superseded').waitFor();
      await screenshot(page, 'security-certificates');

      await exposed.getByRole('button', { name: 'Revoke the exposed certificate' }).click();
      await exposed.getByRole('button', { name: 'Yes, revoke it now' }).click();
      await page
        .locator('[data-testid="action-item"][data-state="done"]')
        .filter({ hasText: `Certificate for ${ACME_DOMAIN} revoked` })
        .waitFor();
      await certificates.getByText('Revoked').waitFor();
      await page.reload();
      await page.getByText('Nothing left to do. Thank you.').waitFor();
      expect(foreignRequests(requests, server.port)).toEqual([]);
      await context.close();
    });

    it('lets the admin revoke an old API token and regenerate an OAuth client secret and the JWT secret from the to-do list', async () => {
      await exposeAcmeCredentials(server);
      const { context, page, requests } = await openContext(browser);
      current = page;
      await page.goto(`${server.accountUrl('acme')}/access/sign_in?return_to=%2Fsecurity`);
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const done = page.locator('[data-testid="action-item"][data-state="done"]');

      const token = page.getByTestId('action-item').filter({ hasText: 'Revoke the API token “Helpdesk sync”' });
      await token.getByText(/Created on 1 Mar 2016/).waitFor();
      await screenshot(page, 'security-credentials');
      await token.getByRole('button', { name: 'Revoke the token' }).click();
      await token.getByRole('button', { name: 'Yes, revoke it now' }).click();
      await done.filter({ hasText: 'API token “Helpdesk sync” revoked' }).waitFor();

      const client = page.getByTestId('action-item').filter({ hasText: 'Regenerate the secret of the OAuth client Reporting' });
      await client.getByRole('button', { name: 'Regenerate the secret' }).click();
      await client.getByRole('button', { name: 'Yes, regenerate it now' }).click();
      const secret = await client.getByLabel('New client secret').inputValue();
      expect(secret.length).toBeGreaterThanOrEqual(32);
      await client.getByRole('button', { name: 'I have saved it' }).click();
      await done.filter({ hasText: 'Secret of Reporting regenerated' }).waitFor();

      const jwt = page.getByTestId('action-item').filter({ hasText: 'Regenerate the JWT single sign-on shared secret' });
      await jwt.getByRole('button', { name: 'Regenerate the secret' }).click();
      await jwt.getByRole('button', { name: 'Yes, regenerate it now' }).click();
      expect((await jwt.getByLabel('New shared secret').inputValue()).length).toBeGreaterThanOrEqual(32);
      await jwt.getByRole('button', { name: 'I have saved it' }).click();
      await done.filter({ hasText: 'JWT shared secret regenerated' }).waitFor();

      await page.reload();
      await page.getByText('Nothing left to do. Thank you.').waitFor();

      // The admin's own sign-in is in the account's sign-in activity; filtering by outcome keeps to failures.
      const activity = page.getByTestId('sign-in-events');
      await activity.getByRole('row').filter({ hasText: 'Web sign-in' }).filter({ hasText: ADMIN.email }).first().waitFor();
      await page.getByLabel('Outcome').selectOption('failed');
      await page.getByText('No sign-in attempt matches.').or(activity.getByText('Failed').first()).waitFor();
      expect(await activity.getByText('Succeeded').count()).toBe(0);
      expect(foreignRequests(requests, server.port)).toEqual([]);
      await context.close();
    });

    it('lets the admin grant the vendor’s staff access for a day and revoke it', async () => {
      const { context, page } = await openContext(browser);
      await page.goto(`${server.accountUrl('acme')}/access/sign_in?return_to=%2Fsecurity`);
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Staff access' }).waitFor();
      await page.getByLabel('For how long').selectOption('day');
      await page.getByRole('button', { name: 'Grant access' }).click();
      const grants = page.getByTestId('staff-grants');
      await grants.getByText('Active').waitFor();
      await grants.getByRole('button', { name: 'Revoke now' }).click();
      await grants.getByText('Revoked').waitFor();
      await page.getByTestId('announcer').filter({ hasText: 'Staff access revoked.' }).waitFor();
      await context.close();
    });

    it('speaks the account’s language by default and switches language in place', async () => {
      const { context, page } = await openContext(browser, { locale: 'en-GB' });
      await page.goto(`${server.accountUrl('lumiere')}/access/sign_in`);
      await page.getByRole('heading', { name: 'Connexion' }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('fr');
      // The account signs in through its identity provider: the SSO button starts there.
      const sso = page.getByRole('link', { name: 'Se connecter avec votre organisation (SSO)' });
      expect(await sso.getAttribute('href')).toBe('/access/sso?return_to=%2F');
      await screenshot(page, 'sign-in-fr');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      await context.close();
    });

    it('asks for a reset link without saying whether the address exists', async () => {
      const { context, page } = await openContext(browser);
      await page.goto(`${server.accountUrl('acme')}/access/sign_in`);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
      await page.getByLabel('Email').fill('nobody@acme.test');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByRole('status').filter({ hasText: 'a reset link is on its way' }).waitFor();
      await context.close();
    });

    it('fits a 390-pixel-wide screen without scrolling sideways, and the skip link reaches the main content', async () => {
      const { context, page } = await openContext(browser);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${server.accountUrl('acme')}/access/sign_in`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await hasHorizontalScroll(page)).toBe(false);
      await screenshot(page, 'sign-in-390');

      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: /You are signed in/ }).waitFor();
      // An admin sees where the account stands with the vendor.
      expect(await page.getByTestId('account-standing').textContent()).toMatch(/Your account is active since .+ · Products: support/);
      await page.goto(`${server.accountUrl('acme')}/security`);
      await page.getByRole('heading', { name: 'Security center' }).waitFor();
      expect(await hasHorizontalScroll(page)).toBe(false);
      await screenshot(page, 'security-center-390');

      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      await context.close();
    });

    it('says so on a host that names no account, and points staff to their console', async () => {
      const { context, page } = await openContext(browser);
      await page.goto(`http://localhost:${server.port}/`);
      await page.getByRole('heading', { name: 'No account at this address' }).waitFor();
      expect(await page.getByRole('link', { name: /operator console/ }).getAttribute('href')).toBe('/ops/console/');
      await context.close();
    });

    it('serves its pages with a strict content security policy', async () => {
      const response = await fetch(`http://127.0.0.1:${server.port}/access/sign_in`, {
        headers: { host: `acme.localhost:${server.port}` },
      });
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await response.text()).not.toMatch(/https?:\/\/(?!localhost)/);
    });
  },
);
