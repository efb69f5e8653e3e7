import { normaliseUserLine, type ImportedUser } from './import-lines.parser.js';
import { ACCOUNTS_FILE, KEPT_PROBLEMS, located, USERS_FILE, type ProblemList } from './import-problems.js';
import { readJsonLines, type JsonLine } from '../../platform/json-lines/json-lines.js';

/**
 * The checks of `users.jsonl`, one line at a time as it is read: each line's
 * fields, a duplicate email in one account and realm, and the account it
 * names, which must be in `accounts.jsonl` or in the database. Accounts
 * outside the file are looked up in batches: `unsettledAccounts`, then
 * `settleAccounts` with those the database has.
 */
export class UsersCheck {
  count = 0;
  // Per account: realm and email seen, with the first line of each. In a file grouped by account (as exports
  // write it) only the account whose lines run now keeps them, so memory stays flat whatever the file's size;
  // the first account to come back after its lines ended has every ended account's emails read again
  // (`readEarlierLines`), and from then on every account keeps its own.
  private readonly emails = new Map<string, Map<string, number>>();
  private running: string | undefined;
  private readonly ended = new Set<string>();
  private keepEveryAccount = false;
  private readonly spans = new Map<string, { first: number; last: number }>();
  /** Accounts named by users, absent from accounts.jsonl and not looked up yet, with the lines naming them. */
  private readonly unsettled = new Map<string, number[]>();
  private readonly inDatabase = new Set<string>();
  private readonly unknown = new Set<string>();

  constructor(
    private readonly accountLines: ReadonlyMap<string, number>,
    private readonly problems: ProblemList,
  ) {}

  /** The line's user when it passes every check so far; else its problems are recorded. */
  check(entry: JsonLine): ImportedUser | undefined {
    if (!entry.ok) {
      this.problems.add({ file: USERS_FILE, line: entry.line, message: entry.message });
      return undefined;
    }
    const result = normaliseUserLine(entry.value);
    if (!result.ok) {
      for (const problem of located(USERS_FILE, entry.line, result.problems)) this.problems.add(problem);
      return undefined;
    }
    const user = result.record;
    this.count += 1;
    const known = this.checkAccount(user.account, entry.line);
    if (user.account !== this.running) this.endRun(user.account);
    let seen = this.emails.get(user.account);
    if (seen === undefined) {
      seen = new Map();
      this.emails.set(user.account, seen);
    }
    const key = `${user.realm} ${user.email}`;
    const firstLine = seen.get(key);
    if (firstLine !== undefined) {
      this.problems.add({
        file: USERS_FILE,
        line: entry.line,
        field: 'email',
        message: `${user.email} is already on line ${firstLine} for account ${user.account} in realm ${user.realm}`,
      });
      return undefined;
    }
    seen.set(key, entry.line);
    const span = this.spans.get(user.account);
    if (span === undefined) this.spans.set(user.account, { first: entry.line, last: entry.line });
    else span.last = entry.line;
    return known ? user : undefined;
  }

  /**
   * Whether `entry` names an account whose lines ended earlier in the file,
   * while only running accounts keep their emails: `readEarlierLines` must
   * run before it is checked.
   */
  needsEarlierLines(entry: JsonLine): boolean {
    if (this.keepEveryAccount || !entry.ok) return false;
    const account = (entry.value as { account?: unknown } | null)?.account;
    if (typeof account !== 'string' || account === this.running) return false;
    const result = normaliseUserLine(entry.value);
    return result.ok && this.ended.has(result.record.account);
  }

  /** Reads again the emails of every account whose lines ended, from the lines before `line`; every account keeps its own from now on. */
  async readEarlierLines(file: string, line: number): Promise<void> {
    this.keepEveryAccount = true;
    for await (const entry of readJsonLines(file)) {
      if (entry.line >= line) break;
      const result = entry.ok ? normaliseUserLine(entry.value) : undefined;
      if (result === undefined || !result.ok || !this.ended.has(result.record.account)) continue;
      let seen = this.emails.get(result.record.account);
      if (seen === undefined) {
        seen = new Map();
        this.emails.set(result.record.account, seen);
      }
      const key = `${result.record.realm} ${result.record.email}`;
      if (!seen.has(key)) seen.set(key, entry.line);
    }
    this.ended.clear();
  }

  /** A line names `next`: the running account's lines end here, and its emails go unless every account keeps its own. */
  private endRun(next: string): void {
    if (this.running !== undefined && !this.keepEveryAccount) {
      this.emails.delete(this.running);
      this.ended.add(this.running);
    }
    this.running = next;
  }

  /** Accounts that lines name, neither in accounts.jsonl nor looked up in the database yet. */
  unsettledAccounts(): string[] {
    return [...this.unsettled.keys()];
  }

  /**
   * Settles the accounts `unsettledAccounts` gave (by default all of them; else those `looked` up): the lines
   * naming one that `existing` lacks are problems.
   */
  settleAccounts(existing: ReadonlySet<string>, looked: readonly string[] = this.unsettledAccounts()): void {
    for (const subdomain of looked) {
      const lines = this.unsettled.get(subdomain);
      if (lines === undefined) continue;
      this.unsettled.delete(subdomain);
      if (existing.has(subdomain)) {
        this.inDatabase.add(subdomain);
        continue;
      }
      this.unknown.add(subdomain);
      for (const line of lines) this.unknownAccount(subdomain, line);
    }
  }

  /**
   * The lines after which every account seen so far has all its users behind
   * it: the ends of the merged spans of lines per account. A file grouped by
   * account can commit after any account; a shuffled one, only at its end.
   */
  commitPoints(): Set<number> {
    const ordered = [...this.spans.values()].sort((a, b) => a.first - b.first);
    const points = new Set<number>();
    let end = -1;
    for (const span of ordered) {
      if (span.first > end && end >= 0) points.add(end);
      end = Math.max(end, span.last);
    }
    if (end >= 0) points.add(end);
    return points;
  }

  /** Whether the user's account is known to exist (in the file or the database) by now. */
  private checkAccount(subdomain: string, line: number): boolean {
    if (this.accountLines.has(subdomain) || this.inDatabase.has(subdomain)) return true;
    if (this.unknown.has(subdomain)) {
      this.unknownAccount(subdomain, line);
      return false;
    }
    const lines = this.unsettled.get(subdomain);
    if (lines === undefined) this.unsettled.set(subdomain, [line]);
    else if (lines.length < KEPT_PROBLEMS) lines.push(line);
    // Looked up with the rest of its batch, before any of its users is written.
    return true;
  }

  private unknownAccount(subdomain: string, line: number): void {
    this.problems.add({
      file: USERS_FILE,
      line,
      field: 'account',
      message: `names account "${subdomain}", which is neither in ${ACCOUNTS_FILE} nor in the database`,
    });
  }
}
