import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDeps, testKeyring } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { AppError } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, verifyAuditChains } from '../../platform/audit/audit.service.js';
import { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { allowedNextStates, SUPERVISORY_AUTHORITY_TASK_TITLE, validTransition } from './incident.model.js';
import {
  addTask,
  addTimelineEvent,
  completeTask,
  declareIncident,
  getIncident,
  listIncidents,
  transitionIncident,
} from './incidents.service.js';

const cli = { type: 'cli' as const };
const HOUR = 60 * 60 * 1000;

describe('incident transitions', () => {
  it('go forward one or more steps, back only from monitoring to remediating, and never out of closed', () => {
    expect(allowedNextStates('investigating')).toEqual(['identified', 'remediating', 'monitoring', 'closed']);
    expect(allowedNextStates('monitoring')).toEqual(['closed', 'remediating']);
    expect(allowedNextStates('closed')).toEqual([]);
    expect(validTransition('identified', 'monitoring')).toBe(true);
    expect(validTransition('remediating', 'identified')).toBe(false);
    expect(validTransition('monitoring', 'identified')).toBe(false);
    expect(validTransition('investigating', 'investigating')).toBe(false);
  });
});

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe.each(backends)('incidents on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database, new FixedClock('2026-06-01T12:00:00.000Z'));
  });
  afterEach(() => database.dispose());

  const declare = (overrides: Partial<Parameters<typeof declareIncident>[1]> = {}) =>
    declareIncident(deps, { title: 'Credential store accessed', becameAwareAt: '2026-05-30T09:15:00+02:00', actor: cli, ...overrides });

  it('declares in investigating with a declared event and the Art. 33 task due exactly 72 hours after became_aware_at', async () => {
    const incident = await declare({ cutoff: '2026-06-01T00:00:00Z' });
    expect(incident).toMatchObject({
      state: 'investigating',
      becameAwareAt: '2026-05-30T07:15:00.000Z',
      cutoff: '2026-06-01T00:00:00.000Z',
      createdAt: '2026-06-01T12:00:00.000Z',
      closedAt: null,
    });
    expect(incident.timeline).toEqual([expect.objectContaining({ seq: 1, kind: 'declared', actor: 'cli' })]);
    expect(incident.tasks).toHaveLength(1);
    const task = incident.tasks[0];
    expect(task?.title).toBe(SUPERVISORY_AUTHORITY_TASK_TITLE);
    expect(task?.dueAt).toBe('2026-06-02T07:15:00.000Z');
    expect(Date.parse(task?.dueAt ?? '') - Date.parse(incident.becameAwareAt)).toBe(72 * HOUR);
    expect(await listIncidents(deps)).toEqual([expect.objectContaining({ id: incident.id, title: 'Credential store accessed' })]);
  });

  it('refuses became_aware_at in the future and an exposure window that ends before it starts', async () => {
    const future = await rejection(declare({ becameAwareAt: '2026-06-01T12:00:01Z' }));
    expect(future.status).toBe(422);
    expect(future.message).toContain('became_aware_at is in the future');
    const window = await rejection(declare({ exposureWindow: { startsAt: '2026-05-20T00:00:00Z', endsAt: '2026-05-10T00:00:00Z' } }));
    expect(window.status).toBe(422);
    expect(window.message).toContain('exposure_window ends before it starts');
    expect((await rejection(declare({ becameAwareAt: 'yesterday' }))).status).toBe(422);
    expect(await listIncidents(deps)).toEqual([]);
    // A cutoff after became_aware_at is allowed: forensics may date the end of exposure later.
    const later = await declare({ cutoff: '2026-06-01T11:00:00Z', exposureWindow: { startsAt: '2026-05-01T00:00:00Z' } });
    expect(later.exposureWindow).toEqual({ startsAt: '2026-05-01T00:00:00.000Z', endsAt: null });
  });

  it('transitions along allowed paths and refuses others with a 409 naming the allowed states', async () => {
    const { id } = await declare();
    expect((await transitionIncident(deps, { incidentId: id, to: 'remediating', actor: cli })).state).toBe('remediating');
    const back = await rejection(transitionIncident(deps, { incidentId: id, to: 'identified', actor: cli }));
    expect(back.status).toBe(409);
    expect(back.message).toBe(`Incident ${id} cannot move from remediating to identified; allowed next states: monitoring, closed.`);
    await transitionIncident(deps, { incidentId: id, to: 'monitoring', actor: cli });
    const reopened = await transitionIncident(deps, { incidentId: id, to: 'remediating', note: 'fix did not hold', actor: cli });
    expect(reopened.timeline.at(-1)).toMatchObject({ kind: 'state_changed', summary: 'monitoring → remediating: fix did not hold' });
    deps.clock.advance(HOUR);
    const closed = await transitionIncident(deps, { incidentId: id, to: 'closed', actor: cli });
    expect(closed).toMatchObject({ state: 'closed', closedAt: '2026-06-01T13:00:00.000Z', allowedNextStates: [] });
    const final = await rejection(transitionIncident(deps, { incidentId: id, to: 'monitoring', actor: cli }));
    expect(final.status).toBe(409);
    expect(final.message).toContain('closed, which is final');
    expect((await rejection(addTask(deps, { incidentId: id, title: 'Too late', actor: cli }))).status).toBe(409);
    expect((await rejection(transitionIncident(deps, { incidentId: id, to: 'paused', actor: cli }))).status).toBe(422);
    expect((await rejection(transitionIncident(deps, { incidentId: 999, to: 'closed', actor: cli }))).status).toBe(404);
    expect((await rejection(getIncident(deps, 999))).status).toBe(404);
  });

  it('orders the timeline by when events occurred, then by when they were recorded', async () => {
    const { id } = await declare();
    deps.clock.advance(HOUR);
    await addTimelineEvent(deps, { incidentId: id, kind: 'note', summary: 'Forensics engaged', actor: cli });
    await addTimelineEvent(deps, {
      incidentId: id,
      kind: 'finding',
      summary: 'First unauthorised access',
      occurredAt: '2026-05-20T03:00:00Z',
      data: { source: 'waf logs' },
      actor: { type: 'staff', id: 7 },
    });
    await addTimelineEvent(deps, { incidentId: id, kind: 'note', summary: 'Same minute, recorded later', actor: cli });
    const { timeline } = await getIncident(deps, id);
    expect(timeline.map((event) => [event.seq, event.summary])).toEqual([
      [3, 'First unauthorised access'],
      [1, 'Incident declared: Credential store accessed'],
      [2, 'Forensics engaged'],
      [4, 'Same minute, recorded later'],
    ]);
    expect(timeline[0]).toMatchObject({ occurredAt: '2026-05-20T03:00:00.000Z', data: { source: 'waf logs' }, actor: 'staff:7' });
    expect(
      (await rejection(addTimelineEvent(deps, { incidentId: id, kind: 'x', summary: 'y', occurredAt: '2027-01-01T00:00:00Z', actor: cli })))
        .status,
    ).toBe(422);
  });

  it('flags overdue tasks by the clock and clears the flag once done', async () => {
    const { id } = await declare({ becameAwareAt: '2026-06-01T10:00:00Z' });
    const forensics = await addTask(deps, {
      incidentId: id,
      title: 'Engage forensics',
      owner: 'secops',
      dueAt: '2026-06-01T18:00:00Z',
      actor: cli,
    });
    expect(forensics).toMatchObject({ owner: 'secops', dueAt: '2026-06-01T18:00:00.000Z', doneAt: null, overdue: false, kind: 'custom' });
    let incident = await getIncident(deps, id);
    expect(incident.overdueTasks).toBe(0);

    deps.clock.set('2026-06-01T18:00:00.000Z');
    expect((await getIncident(deps, id)).overdueTasks).toBe(0);
    deps.clock.advance(1);
    incident = await getIncident(deps, id);
    expect(incident.tasks.map((task) => [task.id, task.overdue])).toEqual([
      [incident.tasks[0]?.id, false],
      [forensics.id, true],
    ]);

    deps.clock.set('2026-06-04T10:00:00.001Z');
    expect((await getIncident(deps, id)).overdueTasks).toBe(2);
    const done = await completeTask(deps, { incidentId: id, taskId: forensics.id, actor: cli });
    expect(done).toMatchObject({ doneAt: '2026-06-04T10:00:00.001Z', overdue: false });
    expect((await getIncident(deps, id)).overdueTasks).toBe(1);
    expect((await rejection(completeTask(deps, { incidentId: id, taskId: forensics.id, actor: cli }))).status).toBe(409);
    expect((await rejection(completeTask(deps, { incidentId: id, taskId: 9999, actor: cli }))).status).toBe(404);
  });

  it('writes audit events on the platform chain, which verifies', async () => {
    const { id } = await declare();
    const task = await addTask(deps, { incidentId: id, title: 'Inform law enforcement', actor: cli });
    await completeTask(deps, { incidentId: id, taskId: task.id, actor: cli });
    await addTimelineEvent(deps, { incidentId: id, kind: 'note', summary: 'Called the police', actor: cli });
    await transitionIncident(deps, { incidentId: id, to: 'identified', actor: cli });
    await rejection(transitionIncident(deps, { incidentId: id, to: 'investigating', actor: cli }));
    const events = await database.db
      .selectFrom('audit_events')
      .select(['action', 'target_type', 'target_id', 'actor_type'])
      .where('account_id', '=', PLATFORM_ACCOUNT_ID)
      .orderBy('seq')
      .execute();
    expect(events.map((event) => event.action)).toEqual([
      'incident.declared',
      'incident.task_added',
      'incident.task_completed',
      'incident.timeline_event_added',
      'incident.transitioned',
    ]);
    expect(events[0]).toMatchObject({ target_type: 'incident', target_id: String(id), actor_type: 'cli' });
    expect(await verifyAuditChains(database.db, testKeyring(database), PLATFORM_ACCOUNT_ID)).toMatchObject({ ok: true, events: 5 });
  });
});
