import { testKeyring } from '../../test/support/app.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { buildScopePopulation, SCOPE_CUTOFF } from '../../test/support/scope-population.js';
import { addExposure } from '../modules/incidents/exposures.service.js';
import type { Evidence } from '../modules/incidents/evidence.service.js';
import { declareIncident } from '../modules/incidents/incidents.service.js';
import { FixedClock } from '../platform/clock.js';
import { SignInEventLog } from '../platform/sign-in-events/sign-in-event-log.js';
import { registerIncidentCommand } from './incident.js';

const actor = { type: 'cli' as const };

describe.each(backends)('riposte incident evidence on %s', (backend) => {
  let database: TestDatabase;
  let clock: FixedClock;
  let incidentId: string;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    clock = new FixedClock('2026-06-01T12:00:00.000Z');
    await buildScopePopulation(database.db);
    const deps = { db: database.db, clock, keyring: testKeyring(database) };
    const incident = await declareIncident(deps, {
      title: 'Keys <b>copied</b>',
      becameAwareAt: '2026-05-30T09:00:00Z',
      cutoff: SCOPE_CUTOFF,
      actor,
    });
    await addExposure(deps, {
      incidentId: incident.id,
      category: 'app_secrets',
      selector: { field: 'account.activated_at', op: 'before', value: SCOPE_CUTOFF },
      actor,
    });
    incidentId = String(incident.id);
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli(
      (program, output) =>
        registerIncidentCommand(
          program,
          openRuntime({
            db: database.db,
            clock,
            keyring: testKeyring(database),
            handle: database,
            signInEvents: new SignInEventLog(database.db, clock),
          }),
          output,
        ),
      ['incident', ...args],
    );
    return stdout;
  }

  it('prints the evidence as JSON by default and with --format json', async () => {
    const byDefault = JSON.parse(await run('evidence', incidentId, '--account', 'acme')) as Evidence;
    expect(byDefault).toMatchObject({
      controller: { subdomain: 'acme' },
      nature: { categories: ['app_secrets'], cutoff: SCOPE_CUTOFF },
      records: { by_category: { app_secrets: 1 } },
      measures_proposed: [{ kind: 'rotate_installation_secrets', installation_id: 1, installed_at: '2016-02-01T00:00:00.000Z' }],
    });
    expect(JSON.parse(await run('evidence', incidentId, '--account', 'acme', '--format', 'json'))).toEqual(byDefault);
  });

  it('prints a printable HTML page with --format html, the title escaped', async () => {
    const html = await run('evidence', incidentId, '--account', 'acme', '--format', 'html');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('Keys &lt;b&gt;copied&lt;/b&gt;');
    expect(html).not.toContain('<b>copied');
  });

  it('refuses an account outside the scope', async () => {
    await expect(run('evidence', incidentId, '--account', 'beta')).rejects.toMatchObject({ code: 'RecordNotFound', status: 404 });
  });
});
