import { testKeyring } from '../../test/support/app.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingOpener, runCli, type CountingOpener } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import type { IncidentDetails, IncidentSummary, IncidentTask } from '../modules/incidents/incident.model.js';
import { verifyAuditChains } from '../platform/audit/audit.service.js';
import { FixedClock } from '../platform/clock.js';
import { registerIncidentCommand, type IncidentRuntime } from './incident.js';

describe.each(backends)('riposte incident on %s', (backend) => {
  let database: TestDatabase;
  let clock: FixedClock;
  let runtime: CountingOpener<{ dataDir?: string }, IncidentRuntime>;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    clock = new FixedClock('2026-06-01T12:00:00.000Z');
    runtime = countingOpener(() => ({ db: database.db, clock, keyring: testKeyring(database) }));
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli((program, output) => registerIncidentCommand(program, runtime.open, output), ['incident', ...args]);
    return stdout;
  }

  const runJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await run(...args, '--json')) as T;

  it('creates, shows, lists and transitions with --json', async () => {
    const created = await runJson<{ id: number }>(
      'create',
      '--title',
      'Credential store accessed',
      '--became-aware-at',
      '2026-05-31T08:00:00Z',
      '--cutoff',
      '2026-05-01T00:00:00Z',
      '--data-dir',
      database.dataDir,
    );
    expect(created).toEqual({ id: expect.any(Number) });
    expect(runtime.opened[0]).toEqual({ dataDir: database.dataDir });
    const id = String(created.id);

    const shown = await runJson<IncidentDetails>('show', id);
    expect(shown).toMatchObject({ id: created.id, state: 'investigating', cutoff: '2026-05-01T00:00:00.000Z' });
    expect(shown.tasks).toEqual([
      expect.objectContaining({ title: 'Decide on notifying the supervisory authority (GDPR Art. 33)', dueAt: '2026-06-03T08:00:00.000Z' }),
    ]);

    const moved = await runJson<IncidentDetails>('transition', id, 'identified', '--note', 'entry point found');
    expect(moved.state).toBe('identified');
    expect(moved.timeline.map((event) => event.kind)).toEqual(['declared', 'state_changed']);

    const listed = await runJson<IncidentSummary[]>('list');
    expect(listed).toEqual([expect.objectContaining({ id: created.id, state: 'identified' })]);
    expect(runtime.closed).toBe(runtime.opened.length);
    expect(await verifyAuditChains(database.db, testKeyring(database))).toMatchObject({ ok: true });
  });

  it('adds and completes tasks, and prints text for people', async () => {
    const { id } = await runJson<{ id: number }>('create', '--title', 'Leak', '--became-aware-at', '2026-06-01T10:00:00Z');
    const task = await runJson<IncidentTask>(
      'task',
      'add',
      String(id),
      '--title',
      'Engage forensics',
      '--owner',
      'secops',
      '--due',
      '2026-06-01T11:00:00Z',
    );
    expect(task).toMatchObject({ title: 'Engage forensics', owner: 'secops', overdue: true, doneAt: null });
    expect(await run('show', String(id))).toContain(`[${task.id}] Engage forensics (secops): OVERDUE since 2026-06-01T11:00:00.000Z`);
    expect(await run('task', 'done', String(id), String(task.id))).toBe(`Task ${task.id} of incident ${id} is done.\n`);
    const told = await runJson<IncidentTask>('task', 'add', String(id), '--title', 'Forensic firm engaged');
    expect(await runJson<IncidentTask>('task', 'done', String(id), String(told.id), '--public')).toMatchObject({
      public: true,
      doneAt: '2026-06-01T12:00:00.000Z',
    });
    const shown = await run('show', String(id));
    expect(shown).toContain(`[${told.id}] Forensic firm engaged: done 2026-06-01T12:00:00.000Z (public)\n`);
    expect(shown).toContain(`[${task.id}] Engage forensics (secops): done 2026-06-01T12:00:00.000Z\n`);
    expect(await run('list')).toBe(`${id}\tinvestigating\t2026-06-01T10:00:00.000Z\tLeak\n`);
  });

  it('refuses an illegal transition with the allowed states, and a bad id before opening the database', async () => {
    const { id } = await runJson<{ id: number }>('create', '--title', 'Leak', '--became-aware-at', '2026-06-01T10:00:00Z');
    await expect(run('transition', String(id), 'investigating')).rejects.toThrow(
      'allowed next states: identified, remediating, monitoring, closed.',
    );
    await run('transition', String(id), 'closed');
    await expect(run('transition', String(id), 'monitoring')).rejects.toMatchObject({ status: 409 });
    await expect(run('show', '999')).rejects.toMatchObject({ status: 404 });
    expect(runtime.closed).toBe(runtime.opened.length);
    const before = runtime.opened.length;
    await expect(run('show', 'abc')).rejects.toThrow(/positive whole number/);
    expect(runtime.opened.length).toBe(before);
  });
});
