import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser } from '../../../test/support/identity-fixtures.js';
import type { Db } from '../../db/database.js';
import type { Account, User } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { changePassword } from '../auth/passwords/passwords.service.js';
import { campaignCompletion, cancelCampaign, createCampaign, getCampaign, pauseCampaign, resumeCampaign } from './campaigns.service.js';
import { startCampaign } from './campaign-start.service.js';
import { applyCampaignBatch } from './rotation-batch.service.js';
import { declareIncident, getIncident } from './incidents.service.js';

const CUTOFF = '2016-11-01T00:00:00.000Z';
const BEFORE = '2015-06-01T00:00:00.000Z';
const AFTER = '2017-03-01T00:00:00.000Z';
// A well-formed argon2id hash of no known password: these tests never verify it.
const PLACEHOLDER_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';

const SELECTOR = {
  all: [
    { field: 'account.activated_at', op: 'before', value: CUTOFF },
    { field: 'user.realm', op: 'eq', value: 'core' },
    { field: 'user.password_changed_at', op: 'before', value: CUTOFF },
    { field: 'user.sso', op: 'eq', value: false },
  ],
};

async function givePassword(db: Db, user: User, changedAt: string): Promise<void> {
  await db
    .insertInto('password_credentials')
    .values({
      account_id: user.account_id,
      user_id: user.id,
      password_hash: PLACEHOLDER_HASH,
      password_changed_at: changedAt,
      must_change: 0,
      must_change_reason: null,
      must_change_incident_id: null,
    })
    .execute();
}

let sessionId = 0;
async function giveSession(db: Db, user: User): Promise<void> {
  sessionId += 1;
  await db
    .insertInto('sessions')
    .values({
      account_id: user.account_id,
      id: sessionId,
      user_id: user.id,
      token_hash: `session-${user.account_id}-${user.id}-${sessionId}`,
      created_at: '2026-05-01T00:00:00.000Z',
      last_seen_at: '2026-05-01T00:00:00.000Z',
      expires_at: '2027-01-01T00:00:00.000Z',
      ip: null,
      user_agent: null,
      revoked_at: null,
      revoked_reason: null,
    })
    .execute();
}

interface Population {
  acme: Account;
  targets: User[];
  sso: User;
  changed: User;
  sell: User;
  noPassword: User;
  lateAccountUser: User;
}

/** One case per exemption reason, plus an account activated after the cutoff (not in the campaign at all). */
async function population(db: Db): Promise<Population> {
  const acme = await insertAccount(db, 'acme', { activated_at: '2015-01-01T00:00:00.000Z' });
  const late = await insertAccount(db, 'late', { activated_at: '2018-01-01T00:00:00.000Z' });
  const beta = await insertAccount(db, 'beta', { activated_at: '2014-01-01T00:00:00.000Z' });
  const targets = [
    await insertUser(db, acme, 'agent@acme.test', { role: 'agent' }),
    await insertUser(db, acme, 'admin@acme.test', { role: 'admin' }),
    await insertUser(db, acme, 'end@acme.test', { role: 'end-user' }),
    await insertUser(db, beta, 'agent@beta.test', { role: 'agent' }),
  ];
  for (const user of targets) await givePassword(db, user, BEFORE);
  const sso = await insertUser(db, acme, 'sso@acme.test', { sso: 1 });
  await givePassword(db, sso, BEFORE);
  const changed = await insertUser(db, acme, 'changed@acme.test');
  await givePassword(db, changed, AFTER);
  const sell = await insertUser(db, acme, 'sell@acme.test', { realm: 'sell' });
  await givePassword(db, sell, BEFORE);
  const noPassword = await insertUser(db, acme, 'nopassword@acme.test');
  const lateAccountUser = await insertUser(db, late, 'agent@late.test');
  await givePassword(db, lateAccountUser, BEFORE);
  for (const user of [targets[0], targets[3], sso, sell]) if (user !== undefined) await giveSession(db, user);
  await db
    .insertInto('api_tokens')
    .values({
      account_id: acme.id,
      id: 1,
      token_hash: 'api-token-hash',
      token_hint: 'abcd',
      description: 'integration',
      created_by: null,
      created_at: '2020-01-01T00:00:00.000Z',
      last_used_at: null,
    })
    .execute();
  return { acme, targets, sso, changed, sell, noPassword, lateAccountUser };
}

async function flaggedUsers(db: Db): Promise<Array<{ account_id: number; user_id: number; incident: number | null }>> {
  const rows = await db
    .selectFrom('password_credentials')
    .select(['account_id', 'user_id', 'must_change_incident_id as incident', 'must_change_reason'])
    .where('must_change', '=', 1)
    .orderBy('account_id')
    .orderBy('user_id')
    .execute();
  for (const row of rows) expect(row.must_change_reason).toBe('incident');
  return rows.map((row) => ({ account_id: Number(row.account_id), user_id: Number(row.user_id), incident: row.incident }));
}

const keysOf = (users: User[]) => users.map((u) => ({ account_id: Number(u.account_id), user_id: Number(u.id) }));

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe.each(backends)('rotation campaigns on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let people: Population;
  let incidentId: number;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database, new FixedClock('2026-06-01T12:00:00.000Z'));
    people = await population(database.db);
    const incident = await declareIncident(deps, {
      title: 'Credential store accessed',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: CUTOFF,
      actor: { type: 'cli' },
    });
    incidentId = incident.id;
  });
  afterEach(() => database.dispose());

  const runToEnd = async (): Promise<void> => {
    await deps.jobs.start();
    await deps.jobs.drain();
  };

  it('drafts with exact targets and exemptions, freezing and flagging nothing', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR });
    expect(draft.state).toBe('draft');
    expect(draft.dryRun.targets).toBe(4);
    expect(draft.dryRun.exempt).toEqual({ sso: 1, changed_since_cutoff: 1, other_realm: 1, no_password: 1, excluded_by_selector: 0 });
    expect(draft.dryRun.byRole).toEqual({ agent: 2, admin: 1, 'end-user': 1 });
    expect(draft.dryRun.byRealm).toEqual({ core: 4 });
    expect(draft.dryRun.byAccount.map((a) => [a.subdomain, a.targets, a.exempt])).toEqual([
      ['acme', 3, 4],
      ['beta', 1, 0],
    ]);
    expect(await database.db.selectFrom('campaign_targets').selectAll().execute()).toEqual([]);
    expect(await flaggedUsers(database.db)).toEqual([]);
  });

  it('runs: exactly the targets flagged for the incident, their sessions revoked, API tokens untouched; a re-run changes nothing', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR, batchSize: 2 });
    const started = await startCampaign(deps, draft.id);
    expect(started).toMatchObject({ state: 'running', batches: 2, progress: { total: 4, done: 0 } });
    await runToEnd();
    const done = await getCampaign(deps, draft.id);
    expect(done).toMatchObject({ state: 'done', progress: { total: 4, done: 4, secondsLeft: null } });
    expect(await flaggedUsers(database.db)).toEqual(keysOf(people.targets).map((k) => ({ ...k, incident: incidentId })));

    const sessions = await database.db.selectFrom('sessions').select(['user_id', 'revoked_at', 'revoked_reason']).orderBy('id').execute();
    expect(sessions.map((s) => [Number(s.user_id), s.revoked_reason])).toEqual([
      [people.targets[0]?.id, 'password_rotation'],
      [people.targets[3]?.id, 'password_rotation'],
      [people.sso.id, null],
      [people.sell.id, null],
    ]);
    const token = await database.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
    expect(token).toMatchObject({ token_hash: 'api-token-hash', last_used_at: null });

    const before = await database.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    for (const batch of [0, 1]) expect(await applyCampaignBatch(deps, draft.id, batch)).toEqual({ applied: false });
    const after = await database.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect((await getCampaign(deps, draft.id)).progress.done).toBe(4);

    const rotationEvents = await database.db
      .selectFrom('audit_events')
      .select(['account_id', 'data'])
      .where('action', '=', 'password.rotation_forced')
      .orderBy('account_id')
      .execute();
    const usersPerAccount = new Map<number, number>();
    for (const event of rotationEvents) {
      const data = JSON.parse(event.data) as { users: number };
      usersPerAccount.set(Number(event.account_id), (usersPerAccount.get(Number(event.account_id)) ?? 0) + data.users);
    }
    expect([...usersPerAccount.values()]).toEqual([3, 1]);
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
    const timeline = (await getIncident(deps, incidentId)).timeline.map((e) => e.kind);
    expect(timeline).toEqual(expect.arrayContaining(['campaign_started', 'campaign_finished']));
  });

  it('flags a batch holding every exception in one run: settles the changed, takes over another incident’s flag, keeps its own', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR });
    await startCampaign(deps, draft.id);
    const other = await declareIncident(deps, {
      title: 'Earlier',
      becameAwareAt: '2026-05-01T09:00:00Z',
      cutoff: CUTOFF,
      actor: { type: 'cli' },
    });
    const [plain, changed, flaggedByOther, flaggedByThis] = people.targets;
    const credentialOf = (user: User | undefined) =>
      database.db
        .updateTable('password_credentials')
        .where('account_id', '=', Number(user?.account_id))
        .where('user_id', '=', Number(user?.id));
    await credentialOf(changed).set({ password_changed_at: '2026-05-31T00:00:00.000Z' }).execute();
    await credentialOf(flaggedByOther).set({ must_change: 1, must_change_reason: 'incident', must_change_incident_id: other.id }).execute();
    await credentialOf(flaggedByThis)
      .set({ must_change: 1, must_change_reason: 'incident', must_change_incident_id: incidentId })
      .execute();

    expect(await applyCampaignBatch(deps, draft.id, 0)).toEqual({
      applied: true,
      users: 3,
      credentials: 2,
      sessions: 2,
      changedBeforeRotation: 1,
    });
    expect(await flaggedUsers(database.db)).toEqual(
      keysOf([plain, flaggedByOther, flaggedByThis].flatMap((u) => (u === undefined ? [] : [u]))).map((k) => ({
        ...k,
        incident: incidentId,
      })),
    );
    const kept = await database.db.selectFrom('exposed_password_hashes').select(['user_id', 'incident_id']).execute();
    expect(kept.map((row) => [Number(row.user_id), Number(row.incident_id)])).toEqual([[flaggedByOther?.id, other.id]]);
    const settled = await database.db.selectFrom('campaign_targets').select('user_id').where('changed_before_rotation', '=', 1).execute();
    expect(settled.map((row) => Number(row.user_id))).toEqual([changed?.id]);
    expect(await getCampaign(deps, draft.id)).toMatchObject({ state: 'done', progress: { total: 4, done: 4 } });
    expect(await applyCampaignBatch(deps, draft.id, 0)).toEqual({ applied: false });
  });

  it('leaves sessions alone when told not to revoke them', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR, revokeSessions: false });
    await startCampaign(deps, draft.id);
    await runToEnd();
    expect(await flaggedUsers(database.db)).toHaveLength(4);
    const revoked = await database.db.selectFrom('sessions').select('id').where('revoked_at', 'is not', null).execute();
    expect(revoked).toEqual([]);
  });

  it('pauses (no batch applies) and resumes to the exact target set', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR, batchSize: 1 });
    await startCampaign(deps, draft.id);
    expect(await applyCampaignBatch(deps, draft.id, 0)).toMatchObject({ applied: true, users: 1 });
    await pauseCampaign(deps, draft.id);
    await runToEnd();
    expect((await getCampaign(deps, draft.id)).progress).toMatchObject({ done: 1, total: 4 });
    expect(await flaggedUsers(database.db)).toHaveLength(1);
    expect((await rejection(pauseCampaign(deps, draft.id))).status).toBe(409);

    await resumeCampaign(deps, draft.id);
    await deps.jobs.drain();
    expect(await getCampaign(deps, draft.id)).toMatchObject({ state: 'done', progress: { done: 4 } });
    expect(await flaggedUsers(database.db)).toEqual(keysOf(people.targets).map((k) => ({ ...k, incident: incidentId })));
  });

  it('cancels: no further batch, those already flagged stay flagged', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR, batchSize: 1 });
    await startCampaign(deps, draft.id);
    await applyCampaignBatch(deps, draft.id, 0);
    const cancelled = await cancelCampaign(deps, draft.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', progress: { done: 1, total: 4 } });
    await runToEnd();
    expect(await flaggedUsers(database.db)).toHaveLength(1);
    expect((await rejection(resumeCampaign(deps, draft.id))).code).toBe('IllegalTransition');
  });

  it('reports completion as targets set a new password, overall and per account', async () => {
    const draft = await createCampaign(deps, { incidentId, selector: SELECTOR });
    await startCampaign(deps, draft.id);
    await runToEnd();
    expect(await campaignCompletion(deps, draft.id)).toMatchObject({ flagged: 4, changed: 0 });
    deps.clock.advance(60_000);
    const [agent] = people.targets;
    if (agent === undefined) throw new Error('population has targets');
    await changePassword(deps, {
      account: people.acme,
      user: agent,
      newPassword: 'A fresh passphrase after the breach 42',
      actor: { type: 'user', id: agent.id },
      reason: 'forced',
    });
    const completion = await campaignCompletion(deps, draft.id);
    expect(completion).toMatchObject({ flagged: 4, changed: 1 });
    expect(completion.accounts.map((a) => [a.subdomain, a.flagged, a.changed])).toEqual([
      ['acme', 3, 1],
      ['beta', 1, 0],
    ]);
  });
});
