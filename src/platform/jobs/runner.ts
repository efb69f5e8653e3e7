import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { AnyJobType, JobPayload, JobType } from './job-type.js';
import type { EnqueueItem, EnqueueOptions, JobHandler, JobLogger, JobQueue, JobSettlement, JobSnapshot } from './job-queue.js';

/** A job this worker has locked for one run. */
export interface ClaimedJob {
  readonly id: string;
  readonly name: string;
  readonly payload: unknown;
  readonly attempt: number;
  readonly maxAttempts: number;
}

/**
 * Where jobs live: the part of a queue that differs between backends. The
 * claiming, running, timing out, draining and stopping are shared (below).
 */
export interface JobStore {
  readonly backend: JobQueue['backend'];
  open(): Promise<void>;
  close(): Promise<void>;
  insertOne(type: AnyJobType, item: EnqueueItem<JobPayload>, transaction: Queryable | undefined): Promise<string | null>;
  insertMany(type: AnyJobType, items: readonly EnqueueItem<JobPayload>[], transaction: Queryable | undefined): Promise<void>;
  /** Locks up to `limit` due jobs of these types for one run each. */
  claim(types: readonly AnyJobType[], limit: number): Promise<ClaimedJob[]>;
  /** False when the run had lost its lock (it expired and the job moved on). */
  complete(job: ClaimedJob): Promise<boolean>;
  fail(type: AnyJobType, job: ClaimedJob, error: string): Promise<boolean>;
  find(type: AnyJobType, id: string): Promise<JobSnapshot | undefined>;
  forgetPayloads(transaction: Queryable, field: string, value: string): Promise<number>;
}

export interface RunnerOptions {
  concurrency: number;
  pollIntervalMs: number;
  logger: JobLogger;
}

interface Registration {
  type: AnyJobType;
  handler: JobHandler<JobPayload>;
}

interface DrainWaiter {
  /** Only an idle poll that started after the drain was asked for counts. */
  afterPoll: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const stoppedError = (): AppError =>
  new AppError('JobQueueStopped', 'The job queue is not running. Call start() before drain(), and do not stop it while draining.');

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Runs `promise` but gives up after `ms`, so a hung handler cannot hold a slot forever. */
async function withinTimeout(promise: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Job ${name} ran longer than its timeout of ${ms / 1000} s.`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A polling worker over a `JobStore`: one loop claims as many due jobs as it
 * has free slots, runs them concurrently, and sleeps until the poll interval
 * passes or something wakes it (an enqueue in this process, a finished job,
 * a drain). Outcomes are stored before a slot is freed, so `drain()` and
 * `onSettled` observe durable state.
 */
export class PollingJobQueue implements JobQueue {
  readonly backend: JobQueue['backend'];
  private readonly registrations = new Map<string, Registration>();
  private readonly listeners = new Set<(settlement: JobSettlement) => void>();
  private readonly running = new Set<Promise<void>>();
  private drainWaiters: DrainWaiter[] = [];
  private active = false;
  private loop: Promise<void> | undefined;
  private polls = 0;
  /** Runs ended so far: a poll that saw one end may have missed the jobs it enqueued. */
  private runsEnded = 0;
  private wakeRequested = false;
  private wakeSleeper: (() => void) | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly options: RunnerOptions,
  ) {
    this.backend = store.backend;
  }

  define<P extends JobPayload>(type: JobType<P>, handler: JobHandler<P>): void {
    if (this.registrations.has(type.name)) {
      throw new AppError('JobTypeInvalid', `Job type "${type.name}" already has a handler in this process. Define each type once.`);
    }
    // The store hands back the payload that was enqueued for this type.
    this.registrations.set(type.name, { type, handler: handler as JobHandler<JobPayload> });
    this.wake();
  }

  async enqueue<P extends JobPayload>(type: JobType<P>, payload: P, options: EnqueueOptions = {}): Promise<string | null> {
    const { transaction, ...item } = options;
    const id = await this.store.insertOne(type, { ...item, payload }, transaction);
    if (this.registrations.has(type.name)) this.wake();
    return id;
  }

  async enqueueMany<P extends JobPayload>(
    type: JobType<P>,
    items: readonly EnqueueItem<P>[],
    options: { transaction?: Queryable } = {},
  ): Promise<void> {
    if (items.length === 0) return;
    await this.store.insertMany(type, items, options.transaction);
    if (this.registrations.has(type.name)) this.wake();
  }

  getJob(type: AnyJobType, id: string): Promise<JobSnapshot | undefined> {
    return this.store.find(type, id);
  }

  forgetPayloads(transaction: Queryable, field: string, value: string): Promise<number> {
    return this.store.forgetPayloads(transaction, field, value);
  }

  onSettled(listener: (settlement: JobSettlement) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.active) return;
    await this.store.open();
    this.active = true;
    this.loop = this.pollLoop();
  }

  drain(): Promise<void> {
    if (!this.active) return Promise.reject(stoppedError());
    return new Promise<void>((resolve, reject) => {
      this.drainWaiters.push({ afterPoll: this.polls + 1, resolve, reject });
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.active = false;
    this.wake();
    await this.loop;
    this.loop = undefined;
    await Promise.allSettled([...this.running]);
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.reject(stoppedError());
    await this.store.close();
  }

  private wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  private async sleep(): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.pollIntervalMs);
      this.wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeSleeper = undefined;
    this.wakeRequested = false;
  }

  private async pollLoop(): Promise<void> {
    while (this.active) {
      const free = this.options.concurrency - this.running.size;
      const types = [...this.registrations.values()].map((r) => r.type);
      if (free > 0 && types.length > 0) {
        const poll = ++this.polls;
        const endedBefore = this.runsEnded;
        const claimed = await this.claim(types, free);
        for (const job of claimed ?? []) this.launch(job);
        const quiet = claimed?.length === 0 && this.running.size === 0 && this.runsEnded === endedBefore;
        if (quiet) this.settleDrains(poll);
      } else if (types.length === 0) {
        this.settleDrains(++this.polls);
      }
      await this.sleep();
    }
  }

  private async claim(types: readonly AnyJobType[], limit: number): Promise<ClaimedJob[] | undefined> {
    try {
      return await this.store.claim(types, limit);
    } catch (error) {
      // The database may be restarting; the next poll tries again.
      this.options.logger.error({ err: errorMessage(error), backend: this.backend }, 'Claiming jobs failed; retrying at the next poll.');
      return undefined;
    }
  }

  private settleDrains(poll: number): void {
    const ready = this.drainWaiters.filter((w) => w.afterPoll <= poll);
    if (ready.length === 0) return;
    this.drainWaiters = this.drainWaiters.filter((w) => w.afterPoll > poll);
    for (const waiter of ready) waiter.resolve();
  }

  private launch(job: ClaimedJob): void {
    const run = this.run(job).finally(() => {
      this.runsEnded += 1;
      this.running.delete(run);
      this.wake();
    });
    this.running.add(run);
  }

  /** Runs one claimed job and stores its outcome; never rejects. */
  private async run(job: ClaimedJob): Promise<void> {
    const registration = this.registrations.get(job.name);
    if (registration === undefined) return; // claim() only returns defined types
    const { type, handler } = registration;
    let failure: string | undefined;
    try {
      const context = { id: job.id, name: job.name, payload: job.payload as JobPayload, attempt: job.attempt };
      await withinTimeout(
        Promise.resolve().then(() => handler(context)),
        type.timeoutSeconds * 1000,
        job.name,
      );
    } catch (error) {
      failure = errorMessage(error);
    }
    try {
      const kept = failure === undefined ? await this.store.complete(job) : await this.store.fail(type, job, failure);
      if (!kept) {
        this.options.logger.warn(
          { jobId: job.id, job: job.name, attempt: job.attempt },
          'A job run finished after its lock expired; its outcome was not stored.',
        );
        return;
      }
    } catch (error) {
      // The lock expires and the job is claimed again: nothing is lost.
      this.options.logger.error(
        { jobId: job.id, job: job.name, err: errorMessage(error) },
        'Storing a job outcome failed; the job will run again after its lock expires.',
      );
      return;
    }
    const outcome = failure === undefined ? 'done' : job.attempt >= job.maxAttempts ? 'failed' : 'retry';
    if (failure !== undefined) {
      this.options.logger.warn({ jobId: job.id, job: job.name, attempt: job.attempt, outcome, err: failure }, 'A job run failed.');
    }
    this.notify({ id: job.id, name: job.name, attempt: job.attempt, outcome, error: failure });
  }

  private notify(settlement: JobSettlement): void {
    for (const listener of this.listeners) {
      try {
        listener(settlement);
      } catch (error) {
        this.options.logger.error({ err: errorMessage(error) }, 'A job settlement listener threw.');
      }
    }
  }
}
