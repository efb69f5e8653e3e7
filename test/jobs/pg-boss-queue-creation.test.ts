import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { systemClock } from '../../src/platform/clock.js';
import { createJobQueue, jobType, type JobQueue } from '../../src/platform/jobs/jobs.js';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.js';

const silent = { warn: () => undefined, error: () => undefined };
const types = ['courier.send', 'campaign.rotation-batch', 'secrets.rewrap'].map((name) => jobType<{ n: number }>(name));

// pg-boss v10 creates a queue with DDL that deadlocks when several processes
// create queues at once, as every worker does on its first start.
describe.skipIf(!postgresAvailable())('processes starting together on a new PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> };
  const handles: DatabaseHandle[] = [];
  const queues: JobQueue[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    for (let i = 0; i < 4; i++) {
      const handle = openDatabase({ databaseUrl: database.url, dataDir: os.tmpdir(), poolSize: 2 });
      handles.push(handle);
      queues.push(createJobQueue(handle, { clock: systemClock, logger: silent }));
    }
  });

  afterAll(async () => {
    await Promise.all(queues.map((q) => q.stop()));
    await Promise.all(handles.map((h) => h.close()));
    await database.drop();
  });

  it('create their queues without deadlocking', async () => {
    const ids = await Promise.all(queues.flatMap((queue, i) => types.map((type) => queue.enqueue(type, { n: i }))));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
  });
});
