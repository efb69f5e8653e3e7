import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { signIn } from '../../../test/support/identity-fixtures.js';
import { buildScopePopulation, SCOPE_CUTOFF, SEED_SELECTOR, type ScopePopulation } from '../../../test/support/scope-population.js';
import { createTestStaff, staffSignIn, type StaffSession } from '../../../test/support/staff-fixtures.js';
import { verifyAuditChains } from '../../platform/audit/audit.service.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import type { CreatedStaffUser } from '../staff/staff.service.js';
import type { AuditLogView } from './audit-logs.schema.js';

type StaffEvent = AuditLogView & { data: { what: string; users?: number; scope_version?: number } };

/**
 * Operators' incident work needs no grant, yet each account it touches sees
 * it among the staff reads and writes on its account, like support work.
 */
describe.each(backends)("operators' incident work on customers' chains on %s", (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let population: ScopePopulation;
  let operator: CreatedStaffUser;
  let olga: StaffSession;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    population = await buildScopePopulation(database.db);
    operator = await createTestStaff(deps, 'olga@vendor.test', 'operator');
    olga = await staffSignIn(app, deps.clock, operator);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  /** What acme's admin reads at /api/v2/staff_access/events, oldest first. */
  async function acmeStaffEvents(): Promise<StaffEvent[]> {
    const bob = population.users.bob;
    if (bob === undefined) throw new Error('the scope population has no bob');
    const session = await signIn(deps, population.accounts.acme, bob);
    const response = await app.inject({ url: '/api/v2/staff_access/events.json?sort=created_at', headers: session.headers });
    expect(response.statusCode).toBe(200);
    return response.json<{ staff_access_events: StaffEvent[] }>().staff_access_events;
  }

  const staffActionsOnChain = async (accountId: number): Promise<string[]> =>
    (
      await database.db
        .selectFrom('audit_events')
        .select('data')
        .where('account_id', '=', accountId)
        .where('action', 'in', ['staff.read', 'staff.write'])
        .execute()
    ).map((row) => (JSON.parse(row.data) as { what: string }).what);

  it('records scope, explanations, evidence and campaign changes on each affected account, without any grant', async () => {
    const declared = await app.inject({
      method: 'POST',
      url: '/ops/v1/incidents',
      headers: olga.headers,
      payload: { title: 'Credential store accessed', became_aware_at: '2026-05-30T09:00:00Z', cutoff: SCOPE_CUTOFF },
    });
    const incidentId = declared.json<{ incident: { id: number } }>().incident.id;
    const base = `/ops/v1/incidents/${incidentId}`;
    const exposed = await app.inject({
      method: 'POST',
      url: `${base}/exposures`,
      headers: olga.headers,
      payload: { category: 'password_hashes', selector: SEED_SELECTOR },
    });
    expect(exposed.statusCode).toBe(201);
    expect((await app.inject({ url: `${base}/scope/explain?account=acme&email=ana@acme.test`, headers: olga.headers })).statusCode).toBe(
      200,
    );
    expect((await app.inject({ url: `${base}/evidence?account=acme`, headers: olga.headers })).statusCode).toBe(200);
    const drafted = await app.inject({
      method: 'POST',
      url: `${base}/campaigns`,
      headers: olga.headers,
      payload: { selector: SEED_SELECTOR },
    });
    const campaignId = drafted.json<{ campaign: { id: number } }>().campaign.id;
    expect((await app.inject({ method: 'POST', url: `/ops/v1/campaigns/${campaignId}/start`, headers: olga.headers })).statusCode).toBe(
      200,
    );
    expect((await app.inject({ method: 'POST', url: `/ops/v1/campaigns/${campaignId}/pause`, headers: olga.headers })).statusCode).toBe(
      200,
    );
    const notified = await app.inject({ method: 'POST', url: `${base}/notifications`, headers: olga.headers, payload: {} });
    expect(notified.statusCode).toBe(202);
    // The notices are built by a background job, which carries the operator as its actor.
    await deps.jobs.start();
    await deps.jobs.drain();

    const acme = await acmeStaffEvents();
    expect(acme.map((event) => [event.action, event.data.what])).toEqual([
      ['staff.read', 'incident.scope'],
      ['staff.read', 'incident.scope_explain'],
      ['staff.read', 'incident.evidence'],
      ['staff.write', 'rotation_campaign.started'],
      ['staff.write', 'rotation_campaign.paused'],
      ['staff.write', 'incident.notified'],
    ]);
    for (const event of acme) expect([event.actor_type, event.actor_id]).toEqual(['staff', operator.id]);
    expect(acme[0]?.data.scope_version).toBe(1);
    const targets = await database.db
      .selectFrom('campaign_targets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', campaignId)
      .where('account_id', '=', population.accounts.acme.id)
      .executeTakeFirstOrThrow();
    expect(acme[3]?.data.users).toBe(Number(targets.n));

    // An account out of scope sees nothing.
    expect(await staffActionsOnChain(population.accounts.beta.id)).toEqual([]);
    expect((await verifyAuditChains(database.db, testKeyring(database))).ok).toBe(true);
  });
});
