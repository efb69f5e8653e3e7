/** A problem with one field of one line; `field` is absent when the whole line is at fault. */
export interface FieldProblem {
  field?: string;
  message: string;
}

export type Normalised<T> = { ok: true; record: T } | { ok: false; problems: FieldProblem[] };

/** A problem located in a file: its line and, when one field is at fault, that field. */
export interface ImportProblem {
  file: string;
  line: number;
  field?: string;
  message: string;
}

/** Problems listed in an error message; the rest are counted. */
export const LISTED_PROBLEMS = 20;

export function describeProblem(problem: ImportProblem): string {
  return `${problem.file} line ${problem.line}${problem.field === undefined ? '' : `, field ${problem.field}`}: ${problem.message}`;
}
