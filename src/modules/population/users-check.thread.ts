import { on } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { ImportProblem } from '../../platform/json-lines/line-problems.js';
import { startModuleWorker } from '../../platform/module-worker.js';
import type { ImportedUser } from './import-lines.parser.js';
import { fromUserColumns, type UserColumns } from './user-columns.js';

/** What the checking thread starts from. */
export interface UsersCheckStart {
  usersFile: string;
  /** Line of each subdomain of accounts.jsonl. */
  accountLines: Array<[string, number]>;
  rowsPerBatch: number;
  /** Batches the thread may send before the first is written. */
  batchesAhead: number;
  /** `false`: only check (the import is refused already); batches carry no users. */
  sendRows: boolean;
}

export type ToUsersCheck =
  { type: 'credit' } | { type: 'rows-unneeded' } | { type: 'settle'; looked: string[]; existing: string[]; final: boolean };

export type FromUsersCheck =
  | {
      type: 'batch';
      /** The users that passed, in file order. */
      users: UserColumns;
      /** Characters and lines read since the last batch. */
      chars: number;
      lines: number;
      /** Accounts outside accounts.jsonl named for the first time: look them up before writing these users. */
      named: string[];
      /** Problems found so far. */
      problems: number;
    }
  | { type: 'read'; named: string[] }
  | { type: 'done'; problems: { kept: ImportProblem[]; total: number } };

/** A batch as the writing thread takes it: its users as objects again. */
type Batch = Omit<Extract<FromUsersCheck, { type: 'batch' }>, 'users'> & { users: ImportedUser[] };

/** Which of the subdomains name accounts of the database. */
export type ExistingAccounts = (subdomains: readonly string[]) => Promise<ReadonlySet<string>>;

/**
 * users.jsonl read and checked on a thread of its own (`users-check.worker.ts`)
 * while this one writes: on a machine with two cores the import's parsing and
 * checking no longer wait on its writes, nor its writes on them. The thread
 * keeps every check of `UsersCheck`; the accounts it cannot know (named by
 * users, absent from accounts.jsonl) are looked up here, in the writer's
 * transaction, and settled there.
 *
 * @example
 * const thread = UsersCheckThread.start({ usersFile, accountLines, rowsPerBatch: 2_000, batchesAhead: 4, sendRows: true });
 * try {
 *   for await (const batch of thread.batches()) await write(batch.users);
 *   problems.absorb(await thread.finish(lookUp));
 * } finally {
 *   await thread.close();
 * }
 */
export class UsersCheckThread {
  private readonly messages: AsyncIterator<[FromUsersCheck]>;
  private named: string[] = [];
  private closed = false;

  private constructor(private readonly worker: Worker) {
    this.messages = on(worker, 'message')[Symbol.asyncIterator]() as AsyncIterator<[FromUsersCheck]>;
    // A thread that ends without its last message must not leave the import waiting (messages sent before are read first).
    worker.on('exit', (code) => {
      if (!this.closed) worker.emit('error', new Error(`The users.jsonl check thread stopped before it finished (exit code ${code}).`));
    });
  }

  static start(start: UsersCheckStart): UsersCheckThread {
    return new UsersCheckThread(startModuleWorker(new URL('./users-check.worker.js', import.meta.url), { workerData: start }));
  }

  /** The checked batches in file order; the next is asked for once the caller is done with this one. */
  async *batches(): AsyncGenerator<Batch> {
    for (;;) {
      const message = await this.next();
      if (message.type === 'read') {
        this.named = message.named;
        return;
      }
      if (message.type !== 'batch') throw new Error(`The users.jsonl check thread sent ${message.type} before it finished reading.`);
      yield { ...message, users: fromUserColumns(message.users) };
      this.post({ type: 'credit' });
    }
  }

  /** Looks up the accounts `named` with `existing` and settles them on the thread; resolves to how many do not exist. */
  async settle(named: readonly string[], existing: ExistingAccounts, final = false): Promise<number> {
    if (named.length === 0 && !final) return 0;
    const found = named.length === 0 ? new Set<string>() : await existing(named);
    this.post({ type: 'settle', looked: [...named], existing: [...found], final });
    return named.filter((subdomain) => !found.has(subdomain)).length;
  }

  /** From now on batches only count: the import is refused, nothing more will be written. */
  stopRows(): void {
    this.post({ type: 'rows-unneeded' });
  }

  /** After the last batch: settles the accounts named since, and resolves to every problem the thread found. */
  async finish(existing: ExistingAccounts): Promise<{ kept: ImportProblem[]; total: number }> {
    await this.settle(this.named, existing, true);
    const message = await this.next();
    if (message.type !== 'done') throw new Error(`The users.jsonl check thread sent ${message.type} where its problems were due.`);
    return message.problems;
  }

  /** Ends the thread, finished or not. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
    await this.messages.return?.();
  }

  private async next(): Promise<FromUsersCheck> {
    const result = await this.messages.next();
    if (result.done === true) throw new Error('The users.jsonl check thread closed before it finished.');
    return result.value[0];
  }

  private post(message: ToUsersCheck): void {
    this.worker.postMessage(message);
  }
}
