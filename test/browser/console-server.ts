import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openRuntime, startServer, type RunningServer, type Runtime } from '../../src/main.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import { SEED_ROTATION_SELECTOR } from '../../src/modules/incidents/sample-incident.js';
import { hashPassword } from '../../src/modules/auth/passwords/password-hashing.js';
import { importPopulation } from '../../src/modules/population/import.service.js';
import { createStaffUser, type CreatedStaffUser } from '../../src/modules/staff/staff.service.js';
import { CertificateWorkbench, type TestCertificate } from '../support/test-certificates.js';

const SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const RUN_SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');
export const ADMIN = { email: 'ada@acme.test', password: 'admin correct horse battery' };
export const EVE = { email: 'eve@acme.test', oldPassword: 'winter garden 2015 quiet', newPassword: 'plum orbit lantern 42 meadow' };
export const FRENCH_ADMIN = { email: 'lea@lumiere.test', password: 'lumiere admin passphrase' };
/** End users of acme and lumiere whose passwords predate the sample incident's cutoff: the campaign's targets. */
export const STALE_END_USERS = 24;
export const INCIDENT_TITLE = 'Password hashes exposed by a 2016 database copy';
/** acme's mapped domain, whose 2016 certificate (and key) the sample incident exposed. */
export const ACME_DOMAIN = 'help.acme.test';

export interface ConsoleServer {
  runtime: Runtime;
  server: RunningServer;
  port: string;
  staff: CreatedStaffUser;
  /** `http://{subdomain}.localhost:{port}` */
  accountUrl(subdomain: string): string;
  opsUrl: string;
  incidentId: number;
  /** A fresh certificate and key for acme's mapped domain, to upload as the replacement. */
  replacementCertificate: TestCertificate;
  stop(): Promise<void>;
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** A small population through the import path: two affected accounts, one not, an app installation with a 2016 key. */
async function writePopulation(dir: string, exposedCertificate: TestCertificate): Promise<void> {
  const [adminHash, eveHash, frenchHash, endUserHash] = await Promise.all([
    hashPassword(ADMIN.password),
    hashPassword(EVE.oldPassword),
    hashPassword(FRENCH_ADMIN.password),
    hashPassword('an end user password 2015'),
  ]);
  const account = (subdomain: string, name: string, locale: string, activatedAt: string, hostMapping?: string) => ({
    subdomain,
    ...(hostMapping === undefined ? {} : { host_mapping: hostMapping }),
    name,
    status: 'active',
    activated_at: activatedAt,
    products: ['support', 'chat'],
    owner_email: `owner@${subdomain}.test`,
    locale,
  });
  const user = (account: string, role: string, name: string, email: string, passwordChangedAt: string, hash: string) => ({
    account,
    realm: 'core',
    role,
    name,
    email,
    created_at: '2014-01-10T00:00:00Z',
    password_changed_at: passwordChangedAt,
    password_hash: hash,
    sso: false,
    active: true,
    products: ['support', 'chat'],
  });
  const accounts = [
    account('acme', 'Acme Outfitters', 'en', '2015-03-02T00:00:00Z', ACME_DOMAIN),
    account('lumiere', 'Lumière SARL', 'fr', '2014-06-01T00:00:00Z'),
    account('globex', 'Globex', 'en', '2019-01-15T00:00:00Z'),
  ];
  const users = [
    // Admins changed their passwords after the cutoff, so they are no campaign's target.
    user('acme', 'admin', 'Ada Admin', ADMIN.email, '2021-04-01T00:00:00Z', adminHash),
    user('lumiere', 'admin', 'Léa Martin', FRENCH_ADMIN.email, '2021-04-01T00:00:00Z', frenchHash),
    user('acme', 'end-user', 'Eve Example', EVE.email, '2015-02-01T00:00:00Z', eveHash),
    ...Array.from({ length: STALE_END_USERS - 1 }, (_, index) => {
      const subdomain = index % 2 === 0 ? 'acme' : 'lumiere';
      return user(
        subdomain,
        'end-user',
        `Customer ${index + 1}`,
        `customer${index + 1}@${subdomain}.test`,
        '2015-05-01T00:00:00Z',
        endUserHash,
      );
    }),
    user('globex', 'admin', 'Gus Globex', 'gus@globex.test', '2020-01-01T00:00:00Z', endUserHash),
  ];
  const installations = [
    {
      account: 'acme',
      app: 'Slack',
      marketplace: true,
      created_at: '2016-02-01T00:00:00Z',
      settings: { channel: '#help' },
      secure_settings: { api_token: 'xoxb-2016-token' },
    },
    {
      account: 'acme',
      app: 'Jira',
      marketplace: true,
      created_at: '2018-03-01T00:00:00Z',
      settings: {},
      secure_settings: { api_token: 'jira-2018' },
    },
  ];
  fs.writeFileSync(path.join(dir, 'accounts.jsonl'), accounts.map(line).join(''));
  fs.writeFileSync(path.join(dir, 'users.jsonl'), users.map(line).join(''));
  fs.writeFileSync(path.join(dir, 'installations.jsonl'), installations.map(line).join(''));
  const certificate = {
    account: 'acme',
    uploaded_at: '2016-05-01T00:00:00Z',
    certificate_pem: exposedCertificate.certificatePem,
    private_key_pem: exposedCertificate.keyPem,
  };
  fs.writeFileSync(path.join(dir, 'certificates.jsonl'), line(certificate));
}

/**
 * A real Riposte server (embedded SQLite in a temporary data directory, port
 * 0) with the population above, the demo's sample incident (seed selector) plus app-secrets
 * and TLS-key exposures of acme (so its scope has three versions), and an
 * operator with a known password and TOTP secret.
 */
export async function startConsoleServer(): Promise<ConsoleServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-browser-'));
  const importDir = path.join(dataDir, 'import');
  fs.mkdirSync(importDir);
  const workbench = new CertificateWorkbench();
  const exposedCertificate = workbench.issue({
    commonName: ACME_DOMAIN,
    keyKind: 'rsa2048',
    notBefore: '2016-04-01T00:00:00Z',
    notAfter: '2030-04-01T00:00:00Z',
  });
  const replacementCertificate = workbench.issue({
    commonName: ACME_DOMAIN,
    notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2035-01-01T00:00:00Z',
  });
  workbench.dispose();
  await writePopulation(importDir, exposedCertificate);
  // No DATABASE_URL: the embedded database, whatever the environment says.
  const runtime = await openRuntime({ dataDir, port: '0', httpsPort: '0', logLevel: 'silent' }, {});
  await importPopulation(runtime.handle, importDir, { clock: runtime.clock, keyring: runtime.keyring });
  const actor = { type: 'cli' as const, id: 'browser-test' };
  // The demo's sample incident, declared here so that what the demo adds around it (an advisory) stays out of these tests.
  const { id: incidentId } = await declareIncident(runtime, {
    title: INCIDENT_TITLE,
    becameAwareAt: '2016-11-08T09:00:00Z',
    cutoff: '2016-11-01T00:00:00Z',
    actor,
  });
  await addExposure(runtime, { incidentId, category: 'password_hashes', selector: SEED_ROTATION_SELECTOR, actor });
  const acme = await runtime.db.selectFrom('accounts').select('id').where('subdomain', '=', 'acme').executeTakeFirstOrThrow();
  await addExposure(runtime, { incidentId, category: 'app_secrets', accountIds: [Number(acme.id)], actor });
  await addExposure(runtime, { incidentId, category: 'tls_keys', accountIds: [Number(acme.id)], actor });
  const staff = await createStaffUser(runtime, { email: 'olivia@vendor.test', name: 'Olivia Operator', role: 'operator', actor });
  const server = await startServer(runtime);
  const port = new URL(server.url).port;
  return {
    runtime,
    server,
    port,
    staff,
    incidentId,
    replacementCertificate,
    accountUrl: (subdomain) => `http://${subdomain}.localhost:${port}`,
    opsUrl: `http://localhost:${port}/ops/console/`,
    stop: async () => {
      await server.close();
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser suites run: always under CI=true (`.ci/run` installs
 * Chromium, and a missing one fails the run); elsewhere only where it is
 * installed, so a laptop without it skips them with a warning.
 */
export const chromiumAvailable = process.env.CI === 'true' || fs.existsSync(CHROMIUM);
if (!chromiumAvailable) console.warn(`\n!! ${CHROMIUM} not found; browser tests are skipped (they fail under CI=true).\n`);

/** Debian's Chromium, headless; one per test file. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A fresh browser profile at desktop width that records every URL it requests. */
export async function openContext(
  browser: Browser,
  options: { locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: options.locale ?? 'en-GB' });
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  return { context, page, requests };
}

/** Requests that went anywhere but this server (any `*.localhost` name on its port). */
export function foreignRequests(requests: readonly string[], port: string): string[] {
  return requests.filter((url) => {
    const parsed = new URL(url);
    return !(
      parsed.protocol === 'http:' &&
      parsed.port === port &&
      (parsed.hostname === 'localhost' || parsed.hostname.endsWith('.localhost'))
    );
  });
}

/** Whether the page scrolls sideways (it must not at 390 px). */
export async function hasHorizontalScroll(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

/** On a failure, what the page showed: `test-results/{name}.png` and its text on stderr. */
export async function recordFailure(page: Page, name: string): Promise<void> {
  const dir = path.resolve(import.meta.dirname, '../../test-results');
  fs.mkdirSync(dir, { recursive: true });
  await page
    .screenshot({ path: path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`), fullPage: true })
    .catch(() => undefined);
  const text = await page.evaluate(() => document.body.innerText).catch(() => '');
  process.stderr.write(`\n--- page at failure (${page.url()}) ---\n${text.slice(0, 4000)}\n---\n`);
}

/**
 * Saves a screenshot of the page to `test-results/screenshots/` on every run,
 * and to `docs/screenshots/` (shown in the README) under `npm run screenshots`
 * only, so that running the tests leaves the working tree as it was.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dirs = [RUN_SCREENSHOTS, ...(process.env.RIPOSTE_UPDATE_SCREENSHOTS === '1' ? [SCREENSHOTS] : [])];
  const image = await page.screenshot({ fullPage: true, animations: 'disabled' });
  for (const dir of dirs) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.png`), image);
  }
}
