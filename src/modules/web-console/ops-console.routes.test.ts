import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { buildScopePopulation, SEED_SELECTOR } from '../../../test/support/scope-population.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { campaignWireSchema, completionWireSchema, draftedCampaignWireSchema } from '../incidents/campaigns-ops.schema.js';
import { createCampaign } from '../incidents/campaigns.service.js';
import { startCampaign } from '../incidents/campaign-start.service.js';
import { declareIncident } from '../incidents/incidents.service.js';
import { createStaffUser, type CreatedStaffUser } from '../staff/staff.service.js';
import { totpCodeAt } from '../staff/totp.js';

/** Every key of a JSON value that is not snake_case, by its path. */
function camelCaseKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => camelCaseKeys(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(/[A-Z]/.test(key) ? [`${path}.${key}`] : []),
    ...camelCaseKeys(child, `${path}.${key}`),
  ]);
}

const declaredKeys = (schema: { properties: object }): string[] => Object.keys(schema.properties).sort();

interface StaffSession {
  csrf: string;
  headers: { cookie: string; 'x-csrf-token': string };
}

/** Reads server-sent events from a streaming response until `until` accepts one. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  until: (event: string, data: unknown) => boolean,
): Promise<Array<{ event: string; data: unknown }>> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: unknown }> = [];
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === undefined || data === undefined) continue;
      const parsed: unknown = JSON.parse(data);
      events.push({ event, data: parsed });
      if (until(event, parsed)) {
        await reader.cancel();
        return events;
      }
    }
  }
}

describe.each(backends)('the operator console’s endpoints on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let app: FastifyInstance;
  let operator: CreatedStaffUser;
  let support: CreatedStaffUser;
  let session: StaffSession;
  let incidentId: number;

  async function staffSignIn(staff: CreatedStaffUser): Promise<StaffSession> {
    deps.clock.advance(30_000);
    const totp = await totpCodeAt(staff.totpSecret, deps.clock.now());
    const response = await app.inject({
      method: 'POST',
      url: '/ops/v1/session',
      payload: { email: staff.email, password: staff.password, totp },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
    const csrf = response.json<{ csrf_token: string }>().csrf_token;
    return { csrf, headers: { cookie, 'x-csrf-token': csrf } };
  }

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    app = await buildTestApp(deps);
    await buildScopePopulation(database.db);
    operator = await createStaffUser(deps, { email: 'olga@vendor.test', name: 'Olga', role: 'operator', actor: { type: 'cli' } });
    support = await createStaffUser(deps, { email: 'sam@vendor.test', name: 'Sam', role: 'support', actor: { type: 'cli' } });
    session = await staffSignIn(operator);
    const incident = await declareIncident(deps, {
      title: 'Console probe',
      becameAwareAt: '2016-11-08T09:00:00Z',
      cutoff: '2016-11-01T00:00:00Z',
      actor: { type: 'cli' },
    });
    incidentId = incident.id;
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  it('tells a reloaded console who is signed in and the CSRF token of the session, and nobody else', async () => {
    const anonymous = await app.inject({ url: '/ops/v1/session' });
    expect(anonymous.statusCode).toBe(401);
    const customerCookie = await app.inject({ url: '/ops/v1/session', headers: { cookie: 'riposte_session=abc' } });
    expect(customerCookie.statusCode).toBe(401);
    const mine = await app.inject({ url: '/ops/v1/session', headers: { cookie: session.headers.cookie } });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual({
      csrf_token: session.csrf,
      staff: { id: operator.id, email: 'olga@vendor.test', name: 'Olga', role: 'operator' },
    });
    const supportSession = await staffSignIn(support);
    const theirs = await app.inject({ url: '/ops/v1/session', headers: { cookie: supportSession.headers.cookie } });
    expect(theirs.json()).toMatchObject({ staff: { role: 'support' } });
  });

  it('validates a selector without saving it, naming each problem by its path', async () => {
    const validate = (payload: unknown, headers: Record<string, string> = session.headers) =>
      app.inject({ method: 'POST', url: '/ops/v1/selectors/validate', headers, payload: payload as Record<string, unknown> });
    const valid = await validate({ selector: { field: 'user.products', op: 'overlaps', value: ['chat', 'support', 'chat'] } });
    expect(valid.statusCode).toBe(200);
    expect(valid.json()).toEqual({ valid: true, selector: { field: 'user.products', op: 'overlaps', value: ['support', 'chat'] } });

    const invalid = await validate({ selector: { all: [{ field: 'user.shoe_size', op: 'eq', value: 42 }, { any: [] }] } });
    expect(invalid.statusCode).toBe(200);
    const body = invalid.json<{ valid: boolean; problems: Array<{ path: string; rule: string }> }>();
    expect(body.valid).toBe(false);
    expect(body.problems.map((problem) => [problem.path, problem.rule])).toEqual([
      ['all[0].field', 'unknown_field'],
      ['all[1].any', 'empty'],
    ]);

    expect((await validate({})).statusCode).toBe(400);
    expect((await validate({ selector: 'everyone' })).json()).toMatchObject({
      valid: false,
      problems: [{ path: '', rule: 'invalid_node' }],
    });
    expect((await validate({ selector: SEED_SELECTOR }, { cookie: session.headers.cookie })).statusCode).toBe(403);
    expect((await validate({ selector: SEED_SELECTOR }, {})).statusCode).toBe(401);
    const supportSession = await staffSignIn(support);
    expect((await validate({ selector: SEED_SELECTOR }, supportSession.headers)).statusCode).toBe(403);
    const huge = await app.inject({
      method: 'POST',
      url: '/ops/v1/selectors/validate',
      headers: { ...session.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ selector: { any: Array.from({ length: 60_000 }, () => ({ field: 'user.sso', op: 'eq', value: true })) } }),
    });
    expect(huge.statusCode).toBe(413);
  });

  it('previews advisory markdown as the public page renders it, for operators only', async () => {
    const preview = (payload: unknown, headers: Record<string, string> = session.headers) =>
      app.inject({ method: 'POST', url: '/ops/v1/advisories/preview', headers, payload: payload as Record<string, unknown> });
    const rendered = await preview({ body: 'We found a **2016 copy**.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))' });
    expect(rendered.statusCode).toBe(200);
    const html = rendered.json<{ html: string }>().html;
    expect(html).toContain('<strong>2016 copy</strong>');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('href="javascript:');
    expect((await preview({ body: 'x' }, {})).statusCode).toBe(401);
    expect((await preview({ body: 'x' }, { cookie: session.headers.cookie })).statusCode).toBe(403);
    expect((await preview({})).statusCode).toBe(400);
  });

  it('lists an incident’s campaigns and gives a campaign’s completion series, ending at every target flagged', async () => {
    expect((await app.inject({ url: '/ops/v1/incidents/999999/campaigns', headers: { cookie: session.headers.cookie } })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ url: '/ops/v1/campaigns/999999/series', headers: { cookie: session.headers.cookie } })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ url: `/ops/v1/incidents/${incidentId}/campaigns` })).statusCode).toBe(401);

    const draft = await createCampaign(deps, { incidentId, selector: SEED_SELECTOR, batchSize: 7 });
    const listed = await app.inject({ url: `/ops/v1/incidents/${incidentId}/campaigns`, headers: { cookie: session.headers.cookie } });
    expect(listed.json<{ campaigns: Array<{ id: number; state: string }> }>().campaigns).toEqual([
      expect.objectContaining({ id: draft.id, state: 'draft' }),
    ]);
    const before = await app.inject({ url: `/ops/v1/campaigns/${draft.id}/series`, headers: { cookie: session.headers.cookie } });
    expect(before.json()).toEqual({ series: { campaign_id: draft.id, total: 0, resolution: 'exact', points: [] } });

    await deps.jobs.start();
    await startCampaign(deps, draft.id);
    await deps.jobs.drain();
    const after = await app.inject({ url: `/ops/v1/campaigns/${draft.id}/series`, headers: { cookie: session.headers.cookie } });
    const series = after.json<{
      series: { total: number; resolution: string; points: Array<{ at: string; flagged: number; changed: number }> };
    }>().series;
    expect(series.total).toBe(draft.dryRun.targets);
    expect(series.resolution).toBe('exact');
    expect(series.points[0]).toMatchObject({ flagged: 0, changed: 0 });
    expect(series.points.at(-1)).toMatchObject({ flagged: draft.dryRun.targets, changed: 0 });
    const times = series.points.map((point) => point.at);
    expect([...times].sort()).toEqual(times);
  });

  it('streams a campaign’s progress as server-sent events until it is done', async () => {
    // The operator API answers on the operator host only: the bare base domain, `localhost`.
    const address = `http://localhost:${new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port}`;
    expect((await fetch(`${address}/ops/v1/campaigns/999999/events`, { headers: { cookie: session.headers.cookie } })).status).toBe(404);
    expect((await fetch(`${address}/ops/v1/campaigns/1/events`)).status).toBe(401);

    const draft = await createCampaign(deps, { incidentId, selector: SEED_SELECTOR, batchSize: 5 });
    const response = await fetch(`${address}/ops/v1/campaigns/${draft.id}/events`, { headers: { cookie: session.headers.cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await deps.jobs.start();
    await startCampaign(deps, draft.id);
    const events = await readEvents(response.body as ReadableStream<Uint8Array>, (event, data) => {
      const campaign = (data as { campaign?: { state: string } }).campaign;
      return event === 'progress' && campaign?.state === 'done';
    });
    expect(events[0]).toMatchObject({
      event: 'snapshot',
      data: { campaign: { id: draft.id, state: 'draft' }, completion: { flagged: 0 } },
    });
    expect(events.at(-1)).toMatchObject({
      event: 'progress',
      data: { campaign: { state: 'done', progress: { done: draft.dryRun.targets, seconds_left: null } } },
    });
    // Each event's data is in the wire shapes of the campaign routes' answers.
    for (const { event, data } of events) {
      expect(camelCaseKeys(data), event).toEqual([]);
      const campaign = (data as { campaign?: object }).campaign;
      if (campaign !== undefined) expect(Object.keys(campaign).sort(), event).toEqual(declaredKeys(campaignWireSchema));
    }
    const snapshot = events[0]?.data as { completion: object };
    expect(Object.keys(snapshot.completion).sort()).toEqual(declaredKeys(completionWireSchema));
    expect(snapshot.completion).toMatchObject({ campaign_id: draft.id, changed_before_rotation: 0 });
  });

  it('answers the session, selector and campaign routes in declared snake_case keys only', async () => {
    const incident = await declareIncident(deps, {
      title: 'Wire probe',
      becameAwareAt: '2016-11-08T09:00:00Z',
      cutoff: '2016-11-01T00:00:00Z',
      actor: { type: 'cli' },
    });
    const answers: Array<{ url: string; body: unknown }> = [];
    const call = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>, status = 200) => {
      const response = await app.inject({ method, url, headers: session.headers, ...(payload === undefined ? {} : { payload }) });
      expect(response.statusCode, url).toBe(status);
      const body: unknown = response.json();
      answers.push({ url, body });
      return body;
    };
    await call('GET', '/ops/v1/session');
    expect(await call('POST', '/ops/v1/selectors/validate', { selector: SEED_SELECTOR })).toMatchObject({ valid: true });
    expect(await call('POST', '/ops/v1/selectors/validate', { selector: { field: 'user.shoe_size', op: 'eq', value: 1 } })).toEqual({
      valid: false,
      description: expect.any(String),
      problems: [{ path: 'field', rule: 'unknown_field', description: expect.any(String) }],
    });

    const drafted = (await call(
      'POST',
      `/ops/v1/incidents/${incident.id}/campaigns`,
      { selector: SEED_SELECTOR, batch_size: 5, revoke_sessions: false },
      201,
    )) as { campaign: { id: number; dry_run: { targets: number; by_account: object[] } } };
    const id = drafted.campaign.id;
    expect(Object.keys(drafted.campaign).sort()).toEqual(declaredKeys(draftedCampaignWireSchema));
    expect(drafted.campaign).toMatchObject({ incident_id: incident.id, revoke_sessions: false, batch_size: 5, start_at: null });
    expect(Object.keys(drafted.campaign.dry_run).sort()).toEqual(['by_account', 'by_realm', 'by_role', 'by_tier', 'exempt', 'targets']);
    expect(drafted.campaign.dry_run.by_account[0]).toEqual({
      account_id: expect.any(Number),
      subdomain: expect.any(String),
      targets: expect.any(Number),
      exempt: expect.any(Number),
    });
    const other = (await call('POST', `/ops/v1/incidents/${incident.id}/campaigns`, { selector: SEED_SELECTOR }, 201)) as {
      campaign: { id: number };
    };
    await call('POST', `/ops/v1/campaigns/${other.campaign.id}/cancel`);
    await call('GET', `/ops/v1/campaigns/${id}/series`);
    await deps.jobs.start();
    expect(await call('POST', `/ops/v1/campaigns/${id}/start`)).toMatchObject({ campaign: { state: 'running' } });
    await deps.jobs.drain();
    const shown = (await call('GET', `/ops/v1/campaigns/${id}`)) as { campaign: object; completion: object };
    expect(Object.keys(shown).sort()).toEqual(['campaign', 'completion']);
    expect(Object.keys(shown.campaign).sort()).toEqual(declaredKeys(campaignWireSchema));
    expect(shown).toMatchObject({
      campaign: { state: 'done', progress: { done: drafted.campaign.dry_run.targets, seconds_left: null } },
      completion: { campaign_id: id, flagged: drafted.campaign.dry_run.targets, changed: 0, changed_before_rotation: 0 },
    });
    const listed = (await call('GET', `/ops/v1/incidents/${incident.id}/campaigns`)) as { campaigns: Array<{ id: number; state: string }> };
    expect(listed.campaigns.map((campaign) => [campaign.id, campaign.state])).toEqual([
      [other.campaign.id, 'cancelled'],
      [id, 'done'],
    ]);
    const series = (await call('GET', `/ops/v1/campaigns/${id}/series`)) as { series: { campaign_id: number; points: object[] } };
    expect(series.series.campaign_id).toBe(id);
    expect(Object.keys(series.series.points[0] ?? {}).sort()).toEqual(['at', 'changed', 'flagged']);

    for (const { url, body } of answers) expect(camelCaseKeys(body), url).toEqual([]);
  });
});
