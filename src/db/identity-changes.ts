import type { Queryable } from './database.js';

/** How often every process reads `identity_changes`: a change reaches it within this plus one read. */
export const IDENTITY_POLL_MS = 250;
/** The bound the README states for a revocation to reach every process (poll, read, margin). */
export const IDENTITY_CHANGE_BOUND_MS = 500;

export async function readIdentityGeneration(db: Queryable): Promise<number> {
  const row = await db.selectFrom('identity_changes').select('generation').where('id', '=', 1).executeTakeFirst();
  return Number(row?.generation ?? 0);
}

type Listener = () => void;

/**
 * Watches the database's identity generation (migration 0026: triggers move
 * it with every change that could end or alter an authentication) and tells
 * its listeners when it moved, so they drop what they cached. Every process
 * polls; a process that made a change can `check()` at once.
 *
 * @example
 * const watch = new IdentityChangeWatch(db);
 * watch.onChange(() => cache.clear());
 * watch.start();
 */
export class IdentityChangeWatch {
  #generation: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  readonly #listeners = new Set<Listener>();

  constructor(
    private readonly db: Queryable,
    private readonly intervalMs = IDENTITY_POLL_MS,
  ) {}

  /** The generation last seen; a cache stores an entry only if it has not moved since its read began. */
  get generation(): number | undefined {
    return this.#generation;
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#timer !== undefined) return;
    void this.check();
    this.#timer = setInterval(() => void this.check(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the generation now (one read shared by concurrent callers) and tells the listeners if it moved. */
  check(): Promise<void> {
    this.#checking ??= this.#read().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #read(): Promise<void> {
    let generation: number;
    try {
      generation = await readIdentityGeneration(this.db);
    } catch {
      // The database is away (closing, failing over): forget everything, to be safe, and read again next time.
      generation = Number.NaN;
    }
    if (generation === this.#generation) return;
    this.#generation = Number.isNaN(generation) ? undefined : generation;
    for (const listener of this.#listeners) listener();
  }
}
