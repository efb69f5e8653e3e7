import type { Queryable } from '../../db/database.js';
import type { Account } from '../../db/schema.js';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findAccountBySubdomain } from '../accounts/accounts.repo.js';
import type { AuditLogFilter } from './audit-logs.repo.js';
import type { AuditLogQuery } from './audit-logs.schema.js';
import { auditLogCsv, auditLogPage, readAuditLogFilter, type AuditLogReader } from './audit-logs.service.js';
import { findActiveGrant } from './staff-access.repo.js';
import { recordStaffWork } from './staff-work.js';
import { TRIAL_STATUSES } from './staff-access.model.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

async function accountNamed(deps: Deps, subdomain: string): Promise<Account> {
  const account = await findAccountBySubdomain(deps.db, subdomain.toLowerCase());
  if (account === undefined) throw new AppError('RecordNotFound', `No account has the subdomain "${subdomain}". Check the spelling.`);
  return account;
}

/** Personal data only under a grant in force now (never on trial accounts, which cannot grant). */
async function operatorReader(db: Queryable, clock: Clock, account: Account): Promise<AuditLogReader> {
  if (TRIAL_STATUSES.has(account.status)) return 'operator_without_grant';
  const grant = await findActiveGrant(db, account.id, clock.now().toISOString());
  return grant === undefined ? 'operator_without_grant' : 'account';
}

/** The filters an operator used, for the record (the account is the chain itself). */
const filtersOf = (filter: AuditLogFilter): Record<string, unknown> =>
  Object.fromEntries(Object.entries(filter).filter(([key]) => key !== 'accountId'));

/**
 * One page of an account's audit trail for the vendor's operators. Reading
 * it is itself a `staff.read` on that account's chain, written in the same
 * transaction as the read.
 */
export async function operatorAuditLogPage(deps: Deps, actor: Actor, subdomain: string, query: AuditLogQuery, url: string) {
  const account = await accountNamed(deps, subdomain);
  const filter = readAuditLogFilter(account.id, query);
  return deps.db.transaction().execute(async (tx) => {
    const reader = await operatorReader(tx, deps.clock, account);
    const page = await auditLogPage(tx, filter, query, url, 'audit_logs', reader);
    await recordStaffWork(tx, deps, actor, [account.id], {
      kind: 'read',
      what: 'audit_logs.list',
      details: { filters: filtersOf(filter), personal_data: reader === 'account' },
    });
    return page;
  });
}

/**
 * An account's audit trail as CSV for operators (HTTP or `riposte audit
 * export`): the `staff.read` is committed before the first line goes out, so
 * no export escapes the record.
 */
export async function operatorAuditLogCsv(
  deps: Deps,
  actor: Actor,
  subdomain: string,
  query: AuditLogQuery,
): Promise<{ account: Account; lines: AsyncGenerator<string> }> {
  const account = await accountNamed(deps, subdomain);
  const filter = readAuditLogFilter(account.id, query);
  const reader = await deps.db.transaction().execute(async (tx) => {
    const granted = await operatorReader(tx, deps.clock, account);
    await recordStaffWork(tx, deps, actor, [account.id], {
      kind: 'read',
      what: 'audit_logs.export',
      details: { filters: filtersOf(filter), personal_data: granted === 'account' },
    });
    return granted;
  });
  return { account, lines: auditLogCsv(deps.db, filter, query.sort === '-created_at' ? 'desc' : 'asc', reader) };
}
