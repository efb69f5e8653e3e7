import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildNoticePopulation, type NoticePopulation } from '../../test/courier/notice-population.js';
import { testDeps } from '../../test/support/app.js';
import { openRuntime, runCli } from '../../test/support/cli.js';
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { SmtpTestServer } from '../../test/support/smtp-test-server.js';
import { registerIncidentNotifyCommand } from './incident-notify.js';

describe.each(backends)('riposte incident notify on %s', (backend) => {
  let database: TestDatabase;
  let deps: ReturnType<typeof testDeps>;
  let population: NoticePopulation;

  beforeEach(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    population = await buildNoticePopulation(deps);
  });
  afterEach(() => database.dispose());

  async function run(...args: string[]): Promise<string> {
    const { stdout } = await runCli(
      (program, output) => registerIncidentNotifyCommand(program.command('incident'), openRuntime(deps), output),
      ['incident', 'notify', ...args],
    );
    return stdout;
  }

  it('queues, delivers (.eml files by default) and reports; a second run queues and sends nothing twice', async () => {
    const first = JSON.parse(await run(String(population.incidentId), '--users', '--json')) as {
      notification: { accounts: number; customers: { queued: number }; users: { queued: number } };
      report: { totals: { sent: number; pending: number; failed: number } };
      failed: unknown[];
    };
    expect(first.notification).toMatchObject({ accounts: 3, customers: { queued: 5 }, users: { queued: 3 } });
    expect(first.report.totals).toMatchObject({ sent: 8, pending: 0, failed: 0 });
    expect(first.failed).toEqual([]);
    const outbox = path.join(database.dataDir, 'outbox');
    expect(fs.readdirSync(outbox)).toHaveLength(8);

    const second = await run(String(population.incidentId), '--users');
    expect(second).toContain('notices for 3 affected accounts (scope version 3): 0 queued now, 5 queued before.');
    expect(second).toContain('user notices: 0 queued now, 3 queued before.');
    expect(second).toContain('Delivery: 8 sent, 0 pending, 0 failed.');
    expect(fs.readdirSync(outbox)).toHaveLength(8);
  });

  it('reports what waits for a retry and what failed, with the server’s answer', async () => {
    const smtp = await new SmtpTestServer().start();
    try {
      deps.config = { ...deps.config, smtpUrl: smtp.url() };
      smtp.plan('root@acme.test', { code: 451, message: 'Try again later' });
      smtp.plan('security@acme.test', { code: 554, message: 'Rejected by policy' });
      const text = await run(String(population.incidentId), '--wait', '0');
      expect(text).toContain('Delivery: 3 sent, 1 pending, 1 failed.');
      expect(text).toContain('retried with growing delays');
      expect(text).toMatch(/security@acme\.test \(customer_incident_notice, 1 attempts\): EMESSAGE 554: 554 Rejected by policy/);
      expect(text).toContain('`--retry-failed` sends them again');

      // The cause fixed (the server now accepts), the failed notice goes out again.
      expect(smtp.attempts.get('security@acme.test')).toBe(1);
      const retried = JSON.parse(await run(String(population.incidentId), '--retry-failed', '--wait', '0', '--json')) as {
        notification: { requeued: number; customers: { queued: number } };
        report: { totals: { sent: number; pending: number; failed: number } };
      };
      expect(retried.notification).toMatchObject({ requeued: 1, customers: { queued: 0 } });
      expect(retried.report.totals).toMatchObject({ sent: 4, pending: 1, failed: 0 });
      const delivered = smtp.accepted.filter((mail) => mail.to.includes('security@acme.test'));
      expect(delivered).toHaveLength(1);
      expect(smtp.attempts.get('security@acme.test')).toBe(2);
      // A second retry finds nothing failed and sends nothing twice.
      const again = await run(String(population.incidentId), '--retry-failed', '--wait', '0');
      expect(again).toContain('failed notices queued again: 0.');
      expect(smtp.accepted.filter((mail) => mail.to.includes('security@acme.test'))).toHaveLength(1);
    } finally {
      await smtp.stop();
    }
  });

  it('refuses an unknown incident', async () => {
    await expect(run('999')).rejects.toThrow('Incident 999 was not found');
  });
});
