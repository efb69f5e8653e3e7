import type { Db } from '../../src/db/database.js';
import type { NewUser } from '../../src/db/schema.js';
import { insertAccount } from './fixtures.js';

/** Well-formed hashes of no known password, one per tier: a third of the users each (a weakest-first campaign orders by them). */
export const TIERED_HASHES = [
  `$sha1$s7$${'0'.repeat(40)}`,
  `$2b$09$${'a'.repeat(53)}`,
  '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
] as const;

/**
 * Agents over `accounts` accounts `tenant0`, `tenant1`, … with passwords set
 * in 2015, every tenth in 2017 (after a 2016 cutoff: exempt), their hashes
 * spread over the tiers. Returns the targets as `accountId:userId`.
 */
export async function insertCampaignPopulation(
  db: Db,
  options: { accounts: number; usersPerAccount: number; firstUserId?: number },
): Promise<Set<string>> {
  const targets = new Set<string>();
  let userId = options.firstUserId ?? 0;
  for (let a = 0; a < options.accounts; a += 1) {
    const account = await insertAccount(db, `tenant${a}`);
    const users: NewUser[] = [];
    const credentials = [];
    for (let u = 0; u < options.usersPerAccount; u += 1) {
      userId += 1;
      const exempt = userId % 10 === 0;
      if (!exempt) targets.add(`${account.id}:${userId}`);
      users.push({
        account_id: account.id,
        id: userId,
        realm: 'core',
        role: 'agent',
        name: `user ${userId}`,
        email: `u${userId}@tenant${a}.test`,
        phone: null,
        locale: null,
        active: 1,
        sso: 0,
        products_mask: 1,
        created_at: '2014-01-01T00:00:00.000Z',
        updated_at: '2014-01-01T00:00:00.000Z',
        last_login_at: null,
        external_id: null,
      });
      credentials.push({
        account_id: account.id,
        user_id: userId,
        password_hash: TIERED_HASHES[userId % TIERED_HASHES.length] as string,
        password_changed_at: exempt ? '2017-01-01T00:00:00.000Z' : '2015-01-01T00:00:00.000Z',
        must_change: 0 as const,
        must_change_reason: null,
        must_change_incident_id: null,
      });
    }
    await db.insertInto('users').values(users).execute();
    await db.insertInto('password_credentials').values(credentials).execute();
  }
  return targets;
}
