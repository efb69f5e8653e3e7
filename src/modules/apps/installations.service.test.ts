import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser } from '../../../test/support/identity-fixtures.js';
import type { Account, User } from '../../db/schema.js';
import { isAppError } from '../../errors.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { Principal } from '../accounts/principal.js';
import { createPrivateApp } from './apps.service.js';
import { installationExposureAcrossAccounts, installationExposureForAccount } from './installation-exposure.service.js';
import { decryptInstallationSecretConfidential } from './installation-secrets.js';
import { createInstallation, deleteInstallation, updateInstallation } from './installations.service.js';

const SLACK = 1001;
const GITHUB = 1007;
const CUTOFF = '2016-11-01T00:00:00.000Z';

const principalOf = (account: Account, user: User): Principal => ({
  account,
  user,
  via: 'session',
  scopes: new Set(['read', 'write']),
  credentialId: null,
});

async function failure(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe.each(backends)('installations service on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let acme: Account;
  let globex: Account;
  let acmeAdmin: Principal;
  let globexAdmin: Principal;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    acme = await insertAccount(database.db, 'acme');
    globex = await insertAccount(database.db, 'globex');
    acmeAdmin = principalOf(acme, await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' }));
    globexAdmin = principalOf(globex, await insertUser(database.db, globex, 'admin@globex.test', { role: 'admin' }));
  });
  afterAll(() => database.dispose());

  const slack = (principal: Principal, token: string, extra: Record<string, unknown> = {}) =>
    createInstallation(deps, principal, { appId: SLACK, settings: { channel: '#help', api_token: token, ...extra }, enabled: true });

  describe('a ciphertext moved to another place', () => {
    const moveSealed = async (
      from: { installation: number; field: string },
      to: { installation: number; field: string },
      accountId = acme.id,
    ): Promise<void> => {
      const source = await database.db
        .selectFrom('installation_secrets')
        .select('sealed')
        .where('account_id', '=', accountId)
        .where('installation_id', '=', from.installation)
        .where('field', '=', from.field)
        .executeTakeFirstOrThrow();
      await database.db
        .updateTable('installation_secrets')
        .set({ sealed: source.sealed })
        .where('account_id', '=', accountId)
        .where('installation_id', '=', to.installation)
        .where('field', '=', to.field)
        .execute();
    };

    it('is refused with SecretIntegrityError when copied to another installation', async () => {
      const victim = await slack(acmeAdmin, 'xoxb-victim');
      const attacker = await slack(acmeAdmin, 'xoxb-attacker');
      expect(await decryptInstallationSecretConfidential(deps, acme.id, Number(attacker.row.id), 'api_token')).toBe('xoxb-attacker');
      await moveSealed(
        { installation: Number(victim.row.id), field: 'api_token' },
        { installation: Number(attacker.row.id), field: 'api_token' },
      );
      const refused = await failure(decryptInstallationSecretConfidential(deps, acme.id, Number(attacker.row.id), 'api_token'));
      expect(refused.code).toBe('SecretIntegrityError');
      expect(refused.message).not.toContain('xoxb');
      expect(await decryptInstallationSecretConfidential(deps, acme.id, Number(victim.row.id), 'api_token')).toBe('xoxb-victim');
    });

    it('is refused when copied to another field of the same installation, or its row re-pointed', async () => {
      const both = await slack(acmeAdmin, 'xoxb-token', { signing_secret: 'signing-value' });
      const id = Number(both.row.id);
      await moveSealed({ installation: id, field: 'api_token' }, { installation: id, field: 'signing_secret' });
      expect((await failure(decryptInstallationSecretConfidential(deps, acme.id, id, 'signing_secret'))).code).toBe('SecretIntegrityError');

      const other = await createInstallation(deps, acmeAdmin, {
        appId: GITHUB,
        settings: { repository: 'acme/app', personal_access_token: 'ghp-one' },
        enabled: true,
      });
      const repointed = await createInstallation(deps, acmeAdmin, {
        appId: GITHUB,
        settings: { repository: 'acme/other', personal_access_token: 'ghp-two' },
        enabled: true,
      });
      await database.db
        .deleteFrom('installation_secrets')
        .where('account_id', '=', acme.id)
        .where('installation_id', '=', Number(repointed.row.id))
        .execute();
      await database.db
        .updateTable('installation_secrets')
        .set({ installation_id: Number(repointed.row.id) })
        .where('account_id', '=', acme.id)
        .where('installation_id', '=', Number(other.row.id))
        .execute();
      const refused = await failure(
        decryptInstallationSecretConfidential(deps, acme.id, Number(repointed.row.id), 'personal_access_token'),
      );
      expect(refused.code).toBe('SecretIntegrityError');
    });

    it('is refused when copied to another account', async () => {
      const mine = await slack(acmeAdmin, 'xoxb-acme');
      const theirs = await slack(globexAdmin, 'xoxb-globex');
      const sealed = await database.db
        .selectFrom('installation_secrets')
        .select('sealed')
        .where('account_id', '=', acme.id)
        .where('installation_id', '=', Number(mine.row.id))
        .executeTakeFirstOrThrow();
      await database.db
        .updateTable('installation_secrets')
        .set({ sealed: sealed.sealed })
        .where('account_id', '=', globex.id)
        .where('installation_id', '=', Number(theirs.row.id))
        .execute();
      expect((await failure(decryptInstallationSecretConfidential(deps, globex.id, Number(theirs.row.id), 'api_token'))).code).toBe(
        'SecretIntegrityError',
      );
      // The id alone does not reach across accounts.
      expect((await failure(decryptInstallationSecretConfidential(deps, globex.id, Number(mine.row.id), 'api_token'))).code).toBe(
        'RecordNotFound',
      );
    });
  });

  describe('the exposure inventory', () => {
    let inventory: TestDatabase;
    let inventoryDeps: ServiceDeps & { clock: FixedClock };
    let initech: Account;
    let hooli: Account;
    let initechAdmin: Principal;
    let hooliAdmin: Principal;

    beforeAll(async () => {
      inventory = await openTestDatabase(backend);
      inventoryDeps = testDeps(inventory);
      initech = await insertAccount(inventory.db, 'initech');
      hooli = await insertAccount(inventory.db, 'hooli');
      initechAdmin = principalOf(initech, await insertUser(inventory.db, initech, 'admin@initech.test', { role: 'admin' }));
      hooliAdmin = principalOf(hooli, await insertUser(inventory.db, hooli, 'admin@hooli.test', { role: 'admin' }));
    });
    afterAll(() => inventory.dispose());

    it('lists installations made before the cutoff whose secure settings were not set since, and drops each once rotated', async () => {
      const at = (iso: string) => inventoryDeps.clock.set(iso);
      const install = (principal: Principal, appId: number, settings: Record<string, unknown>) =>
        createInstallation(inventoryDeps, principal, { appId, settings, enabled: true });

      at('2016-02-01T00:00:00.000Z');
      const slackOld = await install(initechAdmin, SLACK, { channel: '#help', api_token: 'xoxb-old', signing_secret: 'sig-old' });
      const billing = await createPrivateApp(inventoryDeps, initechAdmin, {
        name: 'Billing bridge',
        product: 'support',
        fields: [{ name: 'api_key', secure: true, required: true }],
      });
      const privateOld = await install(initechAdmin, billing.id, { api_key: 'billing-old' });
      const hooliOld = await install(hooliAdmin, GITHUB, { repository: 'hooli/nucleus', personal_access_token: 'ghp-old' });
      at('2016-06-01T00:00:00.000Z');
      const hooliMid = await install(hooliAdmin, GITHUB, { repository: 'hooli/other', personal_access_token: 'ghp-mid' });
      await updateInstallation(inventoryDeps, hooliAdmin, Number(hooliMid.row.id), {
        settings: { personal_access_token: 'ghp-rotated-before-cutoff' },
        enabled: undefined,
      });
      at('2017-01-01T00:00:00.000Z');
      await install(initechAdmin, SLACK, { channel: '#new', api_token: 'xoxb-after-cutoff' });

      const initechActions = await installationExposureForAccount(inventoryDeps, initech.id, CUTOFF);
      expect(initechActions).toEqual([
        {
          accountId: initech.id,
          installationId: Number(slackOld.row.id),
          appId: SLACK,
          appName: 'Slack',
          product: 'support',
          enabled: true,
          installedAt: '2016-02-01T00:00:00.000Z',
          staleSecrets: [
            { field: 'api_token', setAt: '2016-02-01T00:00:00.000Z' },
            { field: 'signing_secret', setAt: '2016-02-01T00:00:00.000Z' },
          ],
        },
        expect.objectContaining({ installationId: Number(privateOld.row.id), appName: 'Billing bridge', appId: billing.id }),
      ]);

      // Rotating one key leaves the other on the list; rotating both drops the installation.
      await updateInstallation(inventoryDeps, initechAdmin, Number(slackOld.row.id), {
        settings: { api_token: 'xoxb-new' },
        enabled: undefined,
      });
      expect((await installationExposureForAccount(inventoryDeps, initech.id, CUTOFF))[0]?.staleSecrets).toEqual([
        { field: 'signing_secret', setAt: '2016-02-01T00:00:00.000Z' },
      ]);
      await updateInstallation(inventoryDeps, initechAdmin, Number(slackOld.row.id), {
        settings: { signing_secret: 'sig-new' },
        enabled: undefined,
      });
      await deleteInstallation(inventoryDeps, initechAdmin, Number(privateOld.row.id));
      expect(await installationExposureForAccount(inventoryDeps, initech.id, CUTOFF)).toEqual([]);

      // Across accounts, set-based, a page at a time; both the Hooli installations made before the cutoff are there.
      const first = await installationExposureAcrossAccounts(inventoryDeps, { before: CUTOFF, limit: 1 });
      expect(first.exposures.map((e) => e.installationId)).toEqual([Number(hooliOld.row.id)]);
      expect(first.next).toEqual({ accountId: hooli.id, installationId: Number(hooliOld.row.id) });
      const second = await installationExposureAcrossAccounts(inventoryDeps, { before: CUTOFF, after: first.next, limit: 1 });
      expect(second.exposures.map((e) => [e.appName, e.staleSecrets])).toEqual([
        ['GitHub', [{ field: 'personal_access_token', setAt: '2016-06-01T00:00:00.000Z' }]],
      ]);
      const third = await installationExposureAcrossAccounts(inventoryDeps, { before: CUTOFF, after: second.next, limit: 1 });
      expect(third).toEqual({ exposures: [], next: undefined });
      const whole = await installationExposureAcrossAccounts(inventoryDeps, { before: CUTOFF });
      expect(whole.exposures.map((e) => e.accountId)).toEqual([hooli.id, hooli.id]);
      expect(whole.next).toBeUndefined();
      // An earlier cutoff: nothing was installed before it.
      expect((await installationExposureAcrossAccounts(inventoryDeps, { before: '2016-01-01T00:00:00Z' })).exposures).toEqual([]);
      await expect(installationExposureForAccount(inventoryDeps, hooli.id, 'last tuesday')).rejects.toMatchObject({
        code: 'RecordInvalid',
      });
    });
  });
});
