import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDeps } from '../../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { insertAccount } from '../../../../test/support/fixtures.js';
import { insertPasswordCredential, insertUser } from '../../../../test/support/identity-fixtures.js';
import { IN_ORDER } from '../../../../test/support/in-order.js';
import type { Account, User } from '../../../db/schema.js';
import { decryptSecretsConfidential } from '../../../platform/crypto/envelope.service.js';
import { createCampaign } from '../../incidents/campaigns.service.js';
import { startCampaign } from '../../incidents/campaign-start.service.js';
import { applyCampaignBatch } from '../../incidents/rotation-batch.service.js';
import { addExposure } from '../../incidents/exposures.service.js';
import { declareIncident } from '../../incidents/incidents.service.js';
import { hashBcrypt, hashSaltedSha1 } from '../password-formats.js';
import { hashPassword } from '../passwords/password-hashing.js';
import { wrapLegacyPasswords } from '../passwords/password-wrap.service.js';
import { verifyPasswordSignIn } from '../passwords/password-sign-in.service.js';
import { changePassword } from '../passwords/passwords.service.js';
import { exposedHashPlace } from './exposed-passwords.repo.js';

const CUTOFF = '2016-11-01T00:00:00.000Z';
const BEFORE = '2015-03-01T00:00:00.000Z';
const PASSWORD = { ana: 'Ana-Password-From-2015', ben: 'Ben-Password-From-2015', cal: 'Cal-Password-From-2015' };
const actor = { type: 'cli' as const };

/**
 * A flagged credential's live hash is the exposed one until something
 * replaces it; every replacement keeps it first, sealed, for the incident
 * that flagged it: a new password, the legacy-hash wrap, an upgrade at sign-in,
 * and a second incident's flag over the first's.
 */
describe.each(backends)('exposed hashes kept as they are replaced, on %s', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let acme: Account;
  const users: Record<'ana' | 'ben' | 'cal', User> = {} as never;
  const exposedHash: Record<'ana' | 'ben' | 'cal', string> = {} as never;
  const incidents: number[] = [];

  async function rotate(title: string): Promise<number> {
    const incident = await declareIncident(deps, { title, becameAwareAt: '2026-05-30T09:00:00Z', cutoff: CUTOFF, actor });
    const selector = { field: 'user.realm', op: 'eq', value: 'core' };
    await addExposure(deps, { incidentId: incident.id, category: 'password_hashes', selector, actor });
    const campaign = await createCampaign(deps, { incidentId: incident.id, selector });
    const started = await startCampaign(deps, campaign.id);
    for (let batch = 0; batch < started.batches; batch += 1) await applyCampaignBatch(deps, campaign.id, batch);
    incidents.push(incident.id);
    return incident.id;
  }
  const kept = async () => {
    const rows = await deps.db.selectFrom('exposed_password_hashes').selectAll().orderBy('user_id').orderBy('incident_id').execute();
    const hashes = await decryptSecretsConfidential(
      deps.db,
      deps.keyring,
      rows.map((row) => ({ ...exposedHashPlace(row), sealed: row.hash_sealed })),
    );
    return rows.map((row, index) => ({ user: Number(row.user_id), incident: Number(row.incident_id), hash: hashes[index] }));
  };
  const liveHash = async (user: User) =>
    (
      await deps.db
        .selectFrom('password_credentials')
        .select('password_hash')
        .where('account_id', '=', acme.id)
        .where('user_id', '=', Number(user.id))
        .executeTakeFirstOrThrow()
    ).password_hash;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    acme = await insertAccount(deps.db, 'acme');
    exposedHash.ana = hashSaltedSha1(PASSWORD.ana, 'a1');
    exposedHash.ben = hashBcrypt(PASSWORD.ben, 9, crypto.randomBytes(16));
    exposedHash.cal = await hashPassword(PASSWORD.cal);
    for (const name of ['ana', 'ben', 'cal'] as const) {
      const user = await insertUser(deps.db, acme, `${name}@acme.test`, { role: 'agent' });
      users[name] = await insertPasswordCredential(deps.db, user, { password_hash: exposedHash[name], password_changed_at: BEFORE });
    }
  });
  afterAll(() => database.dispose());

  it('seals nothing while flagging: the live hash is the exposed one', async () => {
    await rotate('Credential store copied');
    expect(await kept()).toEqual([]);
  });

  it('keeps the legacy hash before the wrap replaces it, and the weak hash before a sign-in upgrades it', async () => {
    expect((await wrapLegacyPasswords(deps)).wrapped).toBe(2);
    const signIn = await verifyPasswordSignIn(deps, {
      account: acme,
      realm: 'core',
      email: 'ben@acme.test',
      password: PASSWORD.ben,
      clientIp: null,
      channel: 'web',
      userAgent: null,
    });
    expect(signIn.outcome).toBe('must_change');
    // Ben's wrapped hash was kept by the wrap; the upgrade finds it kept and replaces the live one only.
    expect(await liveHash(users.ben)).toMatch(/^\$argon2id\$/);
    expect(await kept()).toEqual([
      { user: users.ana.id, incident: incidents[0], hash: exposedHash.ana },
      { user: users.ben.id, incident: incidents[0], hash: exposedHash.ben },
    ]);
  });

  it('keeps the first incident’s hash when a second incident flags a credential not changed since', async () => {
    await rotate('Backup copied');
    expect(await kept()).toEqual([
      { user: users.ana.id, incident: incidents[0], hash: exposedHash.ana },
      { user: users.ben.id, incident: incidents[0], hash: exposedHash.ben },
      { user: users.cal.id, incident: incidents[0], hash: exposedHash.cal },
    ]);
  });

  it('keeps the hash a new password replaces, once per user and incident', async () => {
    const benLive = await liveHash(users.ben);
    await changePassword(deps, { account: acme, user: users.ben, newPassword: 'Harbor-Lantern-Quiet-47', actor, reason: 'forced' });
    await changePassword(deps, { account: acme, user: users.cal, newPassword: 'Meadow-Falcon-Drift-63', actor, reason: 'forced' });
    await changePassword(deps, { account: acme, user: users.cal, newPassword: 'Copper-Violet-Summit-29', actor, reason: 'admin' });
    expect(await kept()).toEqual([
      { user: users.ana.id, incident: incidents[0], hash: exposedHash.ana },
      { user: users.ben.id, incident: incidents[0], hash: exposedHash.ben },
      { user: users.ben.id, incident: incidents[1], hash: benLive },
      { user: users.cal.id, incident: incidents[0], hash: exposedHash.cal },
      { user: users.cal.id, incident: incidents[1], hash: exposedHash.cal },
    ]);
  });

  it.runIf(backend === 'postgres')('keeps the hash of a credential a batch flags while its password is being changed', async () => {
    const user = await insertUser(deps.db, acme, 'dan@acme.test', { role: 'agent' });
    const dan = await insertPasswordCredential(deps.db, user, { password_hash: exposedHash.cal, password_changed_at: BEFORE });
    // A batch's transaction flags Dan and holds the row until it commits.
    const batch = await deps.db.startTransaction().execute();
    await batch
      .updateTable('password_credentials')
      .set({ must_change: 1, must_change_reason: 'incident', must_change_incident_id: incidents[1] })
      .where('account_id', '=', acme.id)
      .where('user_id', '=', dan.id)
      .execute();
    const change = changePassword(deps, { account: acme, user: dan, newPassword: 'Lantern-Orchid-Velvet-85', actor, reason: 'self' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await batch.commit().execute();
    await change;
    expect((await kept()).filter((row) => row.user === dan.id)).toEqual([{ user: dan.id, incident: incidents[1], hash: exposedHash.cal }]);
  });
});
