import type { Account } from '../../db/schema.js';
import { invalid, notFound } from '../../errors.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { maskToProducts, PRODUCTS, productsToMask, type Product } from '../../platform/products.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';
import { ACCOUNT_STATUSES, type AccountStatus } from './account-status.js';
import { findAccountBySubdomain, updateAccountLifecycle } from './accounts.repo.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

/** Where an account stands with the vendor, as operators and its admins read it. */
export interface AccountLifecycle {
  id: number;
  subdomain: string;
  name: string;
  status: AccountStatus;
  activated_at: string | null;
  products: Product[];
  created_at: string;
  updated_at: string;
}

export interface LifecycleChange {
  status?: string;
  activated_at?: string;
  products?: readonly string[];
}

type LifecycleFields = Pick<AccountLifecycle, 'status' | 'activated_at' | 'products'>;

export const presentLifecycle = (account: Account): AccountLifecycle => ({
  id: Number(account.id),
  subdomain: account.subdomain,
  name: account.name,
  status: account.status,
  activated_at: account.activated_at,
  products: maskToProducts(account.products_mask),
  created_at: account.created_at,
  updated_at: account.updated_at,
});

export async function accountLifecycle(deps: Pick<Deps, 'db'>, subdomain: string): Promise<AccountLifecycle> {
  const account = await findAccountBySubdomain(deps.db, subdomain.trim().toLowerCase());
  if (account === undefined) throw notFound(`Account ${subdomain}`);
  return presentLifecycle(account);
}

function checkedStatus(value: string): AccountStatus {
  if (!(ACCOUNT_STATUSES as readonly string[]).includes(value))
    throw invalid(`Unknown status "${value}"; give one of ${ACCOUNT_STATUSES.join(', ')}.`, {
      status: [{ description: `must be one of ${ACCOUNT_STATUSES.join(', ')}` }],
    });
  return value as AccountStatus;
}

function checkedProducts(values: readonly string[]): Product[] {
  const unknown = values.filter((value) => !(PRODUCTS as readonly string[]).includes(value));
  if (values.length === 0 || unknown.length > 0)
    throw invalid(
      values.length === 0
        ? `An account has at least one product; give some of ${PRODUCTS.join(', ')}.`
        : `Unknown products: ${unknown.join(', ')}; give some of ${PRODUCTS.join(', ')}.`,
      { products: [{ description: `one or more of ${PRODUCTS.join(', ')}` }] },
    );
  return maskToProducts(productsToMask(values));
}

function checkedActivation(value: string, account: Account, now: string): string {
  const at = normaliseTimestamp(value);
  if (at === undefined)
    throw invalid(`activated_at "${value}" is not an ISO-8601 time with its zone, such as 2026-06-01T00:00:00Z.`, {
      activated_at: [{ description: 'must be an ISO-8601 time with its zone' }],
    });
  if (at > now) throw invalid(`activated_at ${at} is in the future; give the time the account was activated.`, {});
  if (at < account.created_at)
    throw invalid(`activated_at ${at} is before the account was created (${account.created_at}); an account is created first.`, {});
  return at;
}

/**
 * Changes where an account stands: its status (`trial`, `active`,
 * `trial_expired`, `inactive`), its activation date and its products, in one
 * transaction with one `account.lifecycle_changed` event on the account's
 * chain naming what changed (nothing changed: no event). An active or
 * inactive account has an activation date (the one given, the one it has,
 * else now); an account once activated does not go back to a trial. Users'
 * own product assignments are left as they are.
 *
 * @example
 * await changeAccountLifecycle(deps, 'acme', { status: 'active', activated_at: '2026-06-01T00:00:00Z' }, { type: 'cli' });
 */
export async function changeAccountLifecycle(
  deps: Deps,
  subdomain: string,
  change: LifecycleChange,
  actor: Actor,
): Promise<AccountLifecycle> {
  if (change.status === undefined && change.activated_at === undefined && change.products === undefined)
    throw invalid('Nothing to change: give status, activated_at or products.', {});
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const account = await findAccountBySubdomain(tx, subdomain.trim().toLowerCase());
    if (account === undefined) throw notFound(`Account ${subdomain}`);
    const before: LifecycleFields = {
      status: account.status,
      activated_at: account.activated_at,
      products: maskToProducts(account.products_mask),
    };
    const status = change.status === undefined ? account.status : checkedStatus(change.status);
    let activatedAt = change.activated_at === undefined ? account.activated_at : checkedActivation(change.activated_at, account, now);
    if ((status === 'trial' || status === 'trial_expired') && activatedAt !== null)
      throw invalid(
        `${account.subdomain} was activated on ${activatedAt}: an activated account does not go back to ${status}; set it inactive instead.`,
        { status: [{ description: 'an activated account is active or inactive' }] },
      );
    if ((status === 'active' || status === 'inactive') && activatedAt === null) activatedAt = now;
    const after: LifecycleFields = {
      status,
      activated_at: activatedAt,
      products: change.products === undefined ? before.products : checkedProducts(change.products),
    };
    const changed = (Object.keys(after) as Array<keyof LifecycleFields>).filter(
      (key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]),
    );
    if (changed.length === 0) return presentLifecycle(account);
    const updated = await updateAccountLifecycle(tx, Number(account.id), {
      status: after.status,
      activated_at: after.activated_at,
      products_mask: productsToMask(after.products),
      updated_at: now,
    });
    await recordAudit(tx, deps, {
      accountId: Number(account.id),
      actor,
      action: 'account.lifecycle_changed',
      target: { type: 'account', id: Number(account.id) },
      data: {
        from: Object.fromEntries(changed.map((key) => [key, before[key]])),
        to: Object.fromEntries(changed.map((key) => [key, after[key]])),
      },
    });
    return presentLifecycle(updated);
  });
}
