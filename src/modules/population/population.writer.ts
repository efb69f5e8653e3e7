import { refreshPlannerStatistics } from '../../db/statistics.js';
import type { ControlledTransaction } from 'kysely';
import { bulkWriteTarget, type BulkWriteTarget } from '../../db/bulk-insert.js';
import type { DatabaseHandle } from '../../db/database.js';
import type { Database, NewAccount, NewUser } from '../../db/schema.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Clock } from '../../platform/clock.js';
import { productsToMask } from '../../platform/products.js';
import { linkAccountOwners } from '../accounts/account-owner.repo.js';
import { ACCOUNT_ID_SEQUENCE, findAccountIdsBySubdomains, insertAccounts } from '../accounts/accounts.repo.js';
import {
  findExistingUserKeys,
  insertPasswordCredentials,
  insertUsers,
  naturalKeyText,
  USER_ID_SEQUENCE,
  type NewPasswordCredential,
  type UserNaturalKey,
} from '../users/users.repo.js';
import type { ImportedAccount, ImportedUser } from './import-lines.parser.js';

/**
 * What the bulk writer consumes, in order. An account comes before the first
 * user that names it (or the user names an account already in the database).
 * A `boundary` says that no account seen so far has users still to come, so
 * the writer may commit there: every account's rows and its audit event land
 * in one transaction.
 */
export type PopulationItem = { kind: 'account'; account: ImportedAccount } | { kind: 'user'; user: ImportedUser } | { kind: 'boundary' };

export interface PopulationSummary {
  accounts: { created: number; unchanged: number };
  users: { created: number; unchanged: number };
  passwords: { created: number };
  auditEvents: number;
  transactions: number;
}

export interface WritePopulationOptions {
  clock: Clock;
  keyring: Keyring;
  actor: Actor;
  /** Recorded in each `account.imported` event: `import` or `demo`. */
  source: string;
  /** Commit at the first boundary after this many accounts and users (default 50,000). */
  rowsPerTransaction?: number;
  /** Called after each batch with the number of users handled so far. */
  onProgress?: (usersDone: number) => void;
}

/**
 * Rows held before they are written: enough for full statements, and few
 * enough to be written while the garbage collector still counts them young
 * (for 200,000 imported users, 2,000 promoted half the bytes 10,000 did).
 */
export const ROWS_PER_FLUSH = 2_000;

interface AccountTally {
  accountId: number;
  created: boolean;
  usersCreated: number;
  usersUnchanged: number;
  passwordsCreated: number;
}

/** Past this many new rows, planner statistics are refreshed after the load. */
const BULK_LOAD_ROWS = 10_000;

/**
 * The one bulk write path for tenant populations: `riposte import` and
 * `riposte demo` both feed it. Rows that exist (account by subdomain; user by
 * account, realm and email) are left as they are and counted as unchanged,
 * so writing the same population twice changes nothing. Each account that
 * gains rows gets one `account.imported` audit event (counts only) in the
 * transaction that writes them.
 */
export async function writePopulation(
  handle: DatabaseHandle,
  items: AsyncIterable<PopulationItem> | Iterable<PopulationItem>,
  options: WritePopulationOptions,
): Promise<PopulationSummary> {
  const writer = new PopulationWriter(handle, options);
  try {
    for await (const item of items) await writer.take(item);
    return await writer.finish();
  } catch (error) {
    await writer.abandon();
    throw error;
  }
}

/**
 * `writePopulation` driven item by item, for a caller that checks rows as it
 * writes them: it can ask which accounts exist within the writer's own
 * transaction, and `abandon` it (nothing written) when a row turns out bad.
 */
export class PopulationWriter {
  readonly summary: PopulationSummary = {
    accounts: { created: 0, unchanged: 0 },
    users: { created: 0, unchanged: 0 },
    passwords: { created: 0 },
    auditEvents: 0,
    transactions: 0,
  };
  private readonly rowsPerTransaction: number;
  private readonly now: string;
  private transaction: ControlledTransaction<Database> | undefined;
  private target: BulkWriteTarget | undefined;
  private pendingAccounts: ImportedAccount[] = [];
  private pendingUsers: ImportedUser[] = [];
  private rowsInTransaction = 0;
  private usersDone = 0;
  /** Accounts resolved so far, by subdomain: committed ones stay valid across transactions. */
  private readonly accounts = new Map<string, AccountTally>();
  private touched = new Set<AccountTally>();

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly options: WritePopulationOptions,
  ) {
    this.rowsPerTransaction = options.rowsPerTransaction ?? 50_000;
    this.now = options.clock.now().toISOString();
  }

  async take(item: PopulationItem): Promise<void> {
    await this.takeAll([item]);
  }

  /** `take` for each of `items`, awaiting only when a batch is full or a commit is due. */
  async takeAll(items: Iterable<PopulationItem>): Promise<void> {
    for (const item of items) {
      const due = this.queue(item);
      if (due === 'flush') await this.flush();
      else if (due === 'commit') await this.commit();
    }
  }

  private queue(item: PopulationItem): 'flush' | 'commit' | undefined {
    if (item.kind === 'account') {
      this.pendingAccounts.push(item.account);
      return this.pendingAccounts.length >= ROWS_PER_FLUSH ? 'flush' : undefined;
    }
    if (item.kind === 'user') {
      this.pendingUsers.push(item.user);
      return this.pendingUsers.length >= ROWS_PER_FLUSH ? 'flush' : undefined;
    }
    return this.rowsInTransaction + this.pendingAccounts.length + this.pendingUsers.length >= this.rowsPerTransaction
      ? 'commit'
      : undefined;
  }

  /** Commits what is left, then refreshes the planner's statistics after a bulk load. */
  async finish(): Promise<PopulationSummary> {
    await this.commit();
    if (this.summary.users.created + this.summary.accounts.created >= BULK_LOAD_ROWS) {
      await refreshPlannerStatistics(this.handle.db, ['accounts', 'users', 'password_credentials']);
    }
    return this.summary;
  }

  /** Which of `subdomains` name accounts of the database, looked up in the writer's transaction. */
  async existingAccounts(subdomains: readonly string[]): Promise<Set<string>> {
    await this.lookUpAccounts(subdomains);
    return new Set(subdomains.filter((subdomain) => this.accounts.has(subdomain)));
  }

  /** Looks up, in the writer's transaction, those of `subdomains` not resolved yet; returns the ones found, by id. */
  private async lookUpAccounts(subdomains: Iterable<string>): Promise<ReadonlyMap<string, number>> {
    const unresolved = [...new Set(subdomains)].filter((subdomain) => !this.accounts.has(subdomain));
    if (unresolved.length === 0) return new Map();
    const target = await this.open();
    const existing = await findAccountIdsBySubdomains(target.db, unresolved, target.maxParameters);
    for (const [subdomain, accountId] of existing) this.accounts.set(subdomain, newTally(accountId, false));
    return existing;
  }

  /** Rolls back the open transaction: nothing it wrote remains. */
  async abandon(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    this.target = undefined;
    if (transaction !== undefined) await transaction.rollback().execute();
  }

  private async open(): Promise<BulkWriteTarget> {
    if (this.target === undefined) {
      this.transaction = await this.handle.db.startTransaction().execute();
      this.target = bulkWriteTarget(this.handle, this.transaction);
    }
    return this.target;
  }

  private async commit(): Promise<void> {
    await this.flush();
    const transaction = this.transaction;
    if (transaction === undefined) return;
    const touched = [...this.touched];
    // Each account's owner user, by id from now on, once it is written.
    await linkAccountOwners(
      transaction,
      touched.map((tally) => tally.accountId),
      this.handle.capabilities.maxParameters,
    );
    const events = touched.map((tally) => this.auditEventOf(tally));
    if (events.length > 0) await recordAudit(transaction, this.options, ...events);
    await transaction.commit().execute();
    this.summary.auditEvents += events.length;
    this.summary.transactions += 1;
    this.transaction = undefined;
    this.target = undefined;
    this.touched = new Set();
    this.rowsInTransaction = 0;
  }

  private auditEventOf(tally: AccountTally): AuditEventInput {
    return {
      accountId: tally.accountId,
      actor: this.options.actor,
      action: 'account.imported',
      target: { type: 'account', id: tally.accountId },
      data: {
        source: this.options.source,
        account: tally.created ? 'created' : 'existing',
        users_created: tally.usersCreated,
        users_unchanged: tally.usersUnchanged,
        passwords_created: tally.passwordsCreated,
      },
    };
  }

  private async flush(): Promise<void> {
    if (this.pendingAccounts.length === 0 && this.pendingUsers.length === 0) return;
    const target = await this.open();
    const accounts = this.pendingAccounts;
    const users = this.pendingUsers;
    this.pendingAccounts = [];
    this.pendingUsers = [];
    await this.writeAccounts(target, accounts, users);
    await this.writeUsers(target, users);
    this.rowsInTransaction += accounts.length + users.length;
    this.usersDone += users.length;
    this.options.onProgress?.(this.usersDone);
  }

  private async writeAccounts(
    target: BulkWriteTarget,
    accounts: readonly ImportedAccount[],
    users: readonly ImportedUser[],
  ): Promise<void> {
    const existing = await this.lookUpAccounts([...accounts.map((a) => a.subdomain), ...users.map((u) => u.account)]);
    this.summary.accounts.unchanged += accounts.filter((account) => existing.has(account.subdomain)).length;
    const fresh = new Map(accounts.filter((a) => !this.accounts.has(a.subdomain)).map((a) => [a.subdomain, a]));
    if (fresh.size === 0) return;
    const firstId = await reserveIds(target.db, ACCOUNT_ID_SEQUENCE, fresh.size);
    const rows = [...fresh.values()].map((account, index) => accountRow(account, firstId + index, this.now));
    await insertAccounts(target, rows);
    for (const row of rows) {
      const tally = newTally(row.id, true);
      this.accounts.set(row.subdomain, tally);
      this.touched.add(tally);
    }
    this.summary.accounts.created += rows.length;
  }

  private tallyOf(user: ImportedUser): AccountTally {
    const tally = this.accounts.get(user.account);
    if (tally !== undefined) return tally;
    throw new AppError(
      'ImportInvalid',
      `A user names account "${user.account}", which is neither in the import nor in the database. Add the account, then import again.`,
    );
  }

  /** The users of the batch that do not exist yet, with their accounts; the others are counted as unchanged. */
  private async newUsers(
    target: BulkWriteTarget,
    users: readonly ImportedUser[],
  ): Promise<{ fresh: ImportedUser[]; tallies: AccountTally[] }> {
    const tallies = users.map((user) => this.tallyOf(user));
    // Accounts created by this run had no users before it, and each caller gives a user once (the import
    // refuses a repeated email): only users of the other accounts need their keys looked up.
    const lookups: UserNaturalKey[] = [];
    tallies.forEach((tally, index) => {
      if (!tally.created) lookups.push({ account_id: tally.accountId, realm: users[index]!.realm, email: users[index]!.email });
    });
    const known = lookups.length === 0 ? new Set<string>() : await findExistingUserKeys(target.db, lookups, target.maxParameters);
    const fresh: ImportedUser[] = [];
    const freshTallies: AccountTally[] = [];
    users.forEach((user, index) => {
      const tally = tallies[index]!;
      if (!tally.created) {
        const key = naturalKeyText({ account_id: tally.accountId, realm: user.realm, email: user.email });
        if (known.has(key)) {
          tally.usersUnchanged += 1;
          this.summary.users.unchanged += 1;
          return;
        }
        known.add(key);
      }
      fresh.push(user);
      freshTallies.push(tally);
    });
    return { fresh, tallies: freshTallies };
  }

  private async writeUsers(target: BulkWriteTarget, users: readonly ImportedUser[]): Promise<void> {
    if (users.length === 0) return;
    const { fresh, tallies } = await this.newUsers(target, users);
    if (fresh.length === 0) return;
    const firstId = await reserveIds(target.db, USER_ID_SEQUENCE, fresh.length);
    const rows: Array<Required<NewUser>> = [];
    const credentials: NewPasswordCredential[] = [];
    fresh.forEach((user, position) => {
      const tally = tallies[position]!;
      const id = firstId + position;
      rows.push(userRow(user, tally.accountId, id, this.now));
      tally.usersCreated += 1;
      this.touched.add(tally);
      if (user.password_hash !== null) {
        credentials.push(credentialRow(user, user.password_hash, tally.accountId, id));
        tally.passwordsCreated += 1;
      }
    });
    await insertUsers(target, rows);
    await insertPasswordCredentials(target, credentials);
    this.summary.users.created += rows.length;
    this.summary.passwords.created += credentials.length;
  }
}

const newTally = (accountId: number, created: boolean): AccountTally => ({
  accountId,
  created,
  usersCreated: 0,
  usersUnchanged: 0,
  passwordsCreated: 0,
});

function accountRow(account: ImportedAccount, id: number, now: string): Required<NewAccount> {
  return {
    id,
    subdomain: account.subdomain,
    name: account.name,
    status: account.status,
    activated_at: account.activated_at,
    host_mapping: account.host_mapping,
    owner_email: account.owner_email,
    // Linked to the owner's user when the transaction commits (`linkAccountOwners`).
    owner_user_id: null,
    security_contact_email: account.security_contact_email,
    locale: account.locale,
    products_mask: productsToMask(account.products),
    password_api_access: 1,
    // As given; else the account's history starts at its activation, and a trial that never activated, now.
    created_at: account.created_at ?? account.activated_at ?? now,
    updated_at: now,
  };
}

function userRow(user: ImportedUser, accountId: number, id: number, now: string): Required<NewUser> {
  return {
    account_id: accountId,
    id,
    realm: user.realm,
    role: user.role,
    name: user.name,
    email: user.email,
    phone: user.phone,
    locale: user.locale,
    active: user.active ? 1 : 0,
    sso: user.sso ? 1 : 0,
    products_mask: productsToMask(user.products),
    created_at: user.created_at,
    updated_at: now,
    last_login_at: null,
    external_id: null,
  };
}

function credentialRow(user: ImportedUser, passwordHash: string, accountId: number, userId: number): NewPasswordCredential {
  return {
    account_id: accountId,
    user_id: userId,
    password_hash: passwordHash,
    // Absent from the file: the password dates from the user's creation.
    password_changed_at: user.password_changed_at ?? user.created_at,
    must_change: 0,
    must_change_reason: null,
    must_change_incident_id: null,
    api_used_at: null,
    // Imported as it was stored: its tier is read from the hash itself (hash-strength.repo.ts).
    superseded_hash_tier: null,
    hash_superseded_at: null,
    api_revoked_at: null,
    api_revoked_incident_id: null,
  };
}
