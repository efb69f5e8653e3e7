import type { ImportProblem } from '../../platform/json-lines/line-problems.js';

export const ACCOUNTS_FILE = 'accounts.jsonl';
export const USERS_FILE = 'users.jsonl';

// Problems kept in memory; past this only the count grows.
export const KEPT_PROBLEMS = 1_000;

/** The problems of every file: the first thousand kept, the rest counted. */
export class ProblemList {
  readonly kept: ImportProblem[] = [];
  total = 0;
  add(problem: ImportProblem): void {
    this.total += 1;
    if (this.kept.length < KEPT_PROBLEMS) this.kept.push(problem);
  }

  /** Adds another list's problems (a thread's): its kept ones while room remains, all of its count. */
  absorb(other: { kept: readonly ImportProblem[]; total: number }): void {
    for (const problem of other.kept) if (this.kept.length < KEPT_PROBLEMS) this.kept.push(problem);
    this.total += other.total;
  }
}

/** A line's field problems as import problems of `file`. */
export const located = (file: string, line: number, problems: ReadonlyArray<{ field?: string; message: string }>): ImportProblem[] =>
  problems.map((problem) =>
    problem.field === undefined ? { file, line, message: problem.message } : { file, line, field: problem.field, message: problem.message },
  );
