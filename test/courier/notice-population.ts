import type { Db } from '../../src/db/database.js';
import type { Account } from '../../src/db/schema.js';
import { createCampaign } from '../../src/modules/incidents/campaigns.service.js';
import { startCampaign } from '../../src/modules/incidents/campaign-start.service.js';
import { addExposure } from '../../src/modules/incidents/exposures.service.js';
import { declareIncident } from '../../src/modules/incidents/incidents.service.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';
import { insertAccount, insertCertificate } from '../support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../support/identity-fixtures.js';

export const CUTOFF = '2016-11-01T00:00:00.000Z';
const actor = { type: 'cli' as const };
const OLD = '2014-01-10T00:00:00.000Z';

/** A private app of the account with one installation whose secure field was set at `setAt`. */
async function installApp(db: Db, account: Account, id: number, name: string, installedAt: string, setAt: string): Promise<void> {
  await db
    .insertInto('apps')
    .values({
      account_id: account.id,
      id,
      name,
      product: 'support',
      fields: '[]',
      created_by: null,
      created_at: installedAt,
      updated_at: installedAt,
    })
    .execute();
  await db
    .insertInto('app_installations')
    .values({
      account_id: account.id,
      id,
      app_id: id,
      product: 'support',
      settings: '{}',
      enabled: 1,
      created_by: null,
      created_at: installedAt,
      updated_at: installedAt,
    })
    .execute();
  await db
    .insertInto('installation_secrets')
    .values({ account_id: account.id, installation_id: id, field: 'api_key', sealed: 'not read here', set_at: setAt })
    .execute();
}

export interface NoticePopulation {
  incidentId: number;
  accounts: Record<'acme' | 'globex' | 'initech' | 'umbrella', Account>;
  /** Who must get the notice of each affected account, lower-case. */
  recipients: Record<'acme' | 'globex' | 'initech', string[]>;
  /** The users the rotation campaign targets. */
  rotated: string[];
}

/**
 * Four accounts; the incident (cutoff 2016-11-01) exposes app secrets, TLS
 * keys and password hashes of accounts activated before the cutoff, so
 * umbrella (2019) is out of scope. Each account has its own private app and
 * certificate, so a notice that lists another account's is caught.
 *
 * - acme (en): owner, an admin, a second admin whose address is the owner's
 *   in capitals, an inactive admin and a Sell admin (neither notified), a
 *   security contact; "Acme Ticket Bridge" (stale) and "Acme Fresh Hook"
 *   (rotated in 2017, not listed); help.acme.test (2016) and new.acme.test
 *   (2017, not listed); agents ana and bob with old passwords.
 * - globex (fr): owner, security contact = the owner in capitals; "Globex
 *   Ledger Sync"; help.globex.test; agent chloé.
 * - initech (en), named with markup: owner only; "Initech <b>TPS</b> Relay".
 * - umbrella: "Umbrella Hive", help.umbrella.test; never notified.
 */
export async function buildNoticePopulation(deps: ServiceDeps): Promise<NoticePopulation> {
  const db = deps.db;
  const accounts = {
    acme: await insertAccount(db, 'acme', {
      name: 'Acme',
      security_contact_email: 'security@acme.test',
      activated_at: '2015-03-02T00:00:00.000Z',
    }),
    globex: await insertAccount(db, 'globex', {
      name: 'Globex',
      locale: 'fr',
      security_contact_email: 'OWNER@GLOBEX.TEST',
      activated_at: '2014-06-01T00:00:00.000Z',
    }),
    initech: await insertAccount(db, 'initech', { name: 'Initech <script>alert(1)</script>', activated_at: '2015-01-01T00:00:00.000Z' }),
    umbrella: await insertAccount(db, 'umbrella', { name: 'Umbrella', activated_at: '2019-01-01T00:00:00.000Z' }),
  };
  const { acme, globex, initech, umbrella } = accounts;
  await insertUser(db, acme, 'root@acme.test', { role: 'admin' });
  const ownerAsAdmin = await insertUser(db, acme, 'owner-as-admin@acme.test', { role: 'admin' });
  await db
    .updateTable('users')
    .set({ email: 'OWNER@acme.test' })
    .where('account_id', '=', acme.id)
    .where('id', '=', ownerAsAdmin.id)
    .execute();
  await insertUser(db, acme, 'gone@acme.test', { role: 'admin', active: 0 });
  await insertUser(db, acme, 'seller@acme.test', { role: 'admin', realm: 'sell' });
  const rotated = [
    await insertPasswordCredential(db, await insertUser(db, acme, 'ana@acme.test', { created_at: OLD }), {
      password_changed_at: '2015-02-01T00:00:00.000Z',
    }),
    await insertPasswordCredential(db, await insertUser(db, acme, 'bob@acme.test', { created_at: OLD }), {
      password_changed_at: '2015-03-01T00:00:00.000Z',
    }),
    await insertPasswordCredential(db, await insertUser(db, globex, 'chloe@globex.test', { created_at: OLD, name: 'Chloé' }), {
      password_changed_at: '2015-04-01T00:00:00.000Z',
    }),
  ];
  await insertUser(db, umbrella, 'admin@umbrella.test', { role: 'admin' });
  await installApp(db, acme, 1, 'Acme Ticket Bridge', '2016-02-01T00:00:00.000Z', '2016-02-01T00:00:00.000Z');
  await installApp(db, acme, 2, 'Acme Fresh Hook', '2016-03-01T00:00:00.000Z', '2017-01-01T00:00:00.000Z');
  await installApp(db, globex, 3, 'Globex Ledger Sync', '2015-07-14T00:00:00.000Z', '2015-07-14T00:00:00.000Z');
  await installApp(db, initech, 4, 'Initech <b>TPS</b> Relay', '2016-09-01T00:00:00.000Z', '2016-09-01T00:00:00.000Z');
  await installApp(db, umbrella, 5, 'Umbrella Hive', '2016-01-01T00:00:00.000Z', '2016-01-01T00:00:00.000Z');
  await insertCertificate(db, acme, 1, 'help.acme.test', '2016-05-01T00:00:00.000Z');
  await insertCertificate(db, acme, 2, 'new.acme.test', '2017-05-01T00:00:00.000Z');
  await insertCertificate(db, globex, 3, 'help.globex.test', '2016-06-01T00:00:00.000Z');
  await insertCertificate(db, umbrella, 4, 'help.umbrella.test', '2016-06-01T00:00:00.000Z');

  const incident = await declareIncident(deps, {
    title: 'Database copy of 2016',
    becameAwareAt: '2026-05-30T09:00:00Z',
    cutoff: CUTOFF,
    actor,
  });
  const activatedBefore = { field: 'account.activated_at', op: 'before', value: CUTOFF };
  for (const category of ['app_secrets', 'tls_keys', 'password_hashes'])
    await addExposure(deps, { incidentId: incident.id, category, selector: activatedBefore, actor });
  const campaign = await createCampaign(deps, {
    incidentId: incident.id,
    selector: {
      all: [
        activatedBefore,
        { field: 'user.realm', op: 'eq', value: 'core' },
        { field: 'user.password_changed_at', op: 'before', value: CUTOFF },
      ],
    },
  });
  await startCampaign(deps, campaign.id);
  return {
    incidentId: incident.id,
    accounts,
    recipients: {
      acme: ['owner@acme.test', 'root@acme.test', 'security@acme.test'],
      globex: ['owner@globex.test'],
      initech: ['owner@initech.test'],
    },
    rotated: rotated.map((user) => user.email),
  };
}
