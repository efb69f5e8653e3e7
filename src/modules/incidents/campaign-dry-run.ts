import type { Queryable } from '../../db/database.js';
import { dryRunCounts, type DryRunClass, type DryRunPredicates } from './campaigns.repo.js';
import { userSelectorPredicate } from './selectors/selector.compile.js';
import { isClause, type Selector, type SelectorClause } from './selectors/selector.model.js';
import { isHashTier, noHashTiers, type HashTierCounts } from '../auth/passwords/hash-strength.js';

/**
 * A campaign's dry run: who it would target, and everyone else it is about
 * with the reason they are exempt, counted set-based by account, role and realm.
 */
export type ExemptReason = Exclude<DryRunClass, 'target'>;
export const EXEMPT_REASONS: readonly ExemptReason[] = [
  'sso',
  'changed_since_cutoff',
  'other_realm',
  'no_password',
  'excluded_by_selector',
];

export interface DryRun {
  targets: number;
  /** Targets per hash tier at exposure time (README, "Risk by hash strength"). */
  byTier: HashTierCounts;
  /** Users the campaign is about who are not targets, by reason (each counted once, under the first reason that applies). */
  exempt: Record<ExemptReason, number>;
  byAccount: Array<{ accountId: number; subdomain: string; targets: number; exempt: number }>;
  byRole: Record<string, number>;
  byRealm: Record<string, number>;
}

// Clauses a dry run lifts out of the selector's top level, so that the users
// they would leave out are counted with a reason rather than silently.
const REALM_FIELDS: ReadonlySet<string> = new Set(['user.realm']);
const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(['user.sso', 'user.has_password', 'user.password_changed_at']);

/**
 * The predicates the dry run classifies by, splitting the selector in three
 * whose conjunction it is: the candidates (the selector without its lifted
 * clauses), its realm clauses, its SSO and password clauses.
 */
export function dryRunPredicates(selector: Selector): DryRunPredicates {
  const topLevel: Selector[] = isClause(selector) || !('all' in selector) ? [selector] : selector.all;
  const lifted = (child: Selector, fields: ReadonlySet<string>): boolean => isClause(child) && fields.has(child.field);
  const rest = topLevel.filter((child) => !lifted(child, REALM_FIELDS) && !lifted(child, CREDENTIAL_FIELDS));
  const realm = topLevel.filter((child): child is SelectorClause => lifted(child, REALM_FIELDS));
  const credentials = topLevel.filter((child): child is SelectorClause => lifted(child, CREDENTIAL_FIELDS));
  return {
    candidates: rest.length === 0 ? undefined : userSelectorPredicate({ all: rest }),
    realm: realm.length === 0 ? undefined : userSelectorPredicate({ all: realm }),
    credentials: credentials.length === 0 ? undefined : userSelectorPredicate({ all: credentials }),
  };
}

export async function dryRun(db: Queryable, selector: Selector, cutoff: string, hashesAsOf: string = cutoff): Promise<DryRun> {
  const rows = await dryRunCounts(db, selector, dryRunPredicates(selector), cutoff, hashesAsOf);
  const result: DryRun = {
    targets: 0,
    byTier: noHashTiers(),
    exempt: { sso: 0, changed_since_cutoff: 0, other_realm: 0, no_password: 0, excluded_by_selector: 0 },
    byAccount: [],
    byRole: {},
    byRealm: {},
  };
  const accounts = new Map<number, DryRun['byAccount'][number]>();
  for (const row of rows) {
    const account = accounts.get(row.account_id) ?? { accountId: row.account_id, subdomain: row.subdomain, targets: 0, exempt: 0 };
    accounts.set(row.account_id, account);
    if (row.class === 'target') {
      result.targets += row.users;
      if (isHashTier(row.tier)) result.byTier[row.tier] += row.users;
      account.targets += row.users;
      result.byRole[row.role] = (result.byRole[row.role] ?? 0) + row.users;
      result.byRealm[row.realm] = (result.byRealm[row.realm] ?? 0) + row.users;
    } else {
      result.exempt[row.class] += row.users;
      account.exempt += row.users;
    }
  }
  // Accounts whose users are all exempt stay listed, so per-account exemptions add up to the total.
  result.byAccount = [...accounts.values()].sort((a, b) => a.accountId - b.accountId);
  return result;
}
