import type { Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import type { Account, User } from '../../db/schema.js';
import { AppError, forbidden, invalid, notFound } from '../../errors.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../platform/http/pagination.js';
import { productsToMask, realmsOf, maskToProducts, REALM_OF, type Product } from '../../platform/products.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { linkAccountOwners } from '../accounts/account-owner.repo.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { requireOwnerForOwnerChange, touchesOwnerGuardedFields } from './account-owner.js';
import { countUsers, findUserByEmail, findUserById, insertUser, listUsersPage, updateUser } from './users.repo.js';
import type { UserInput } from './users.schema.js';
import { findDeletedUser } from './deleted-users.repo.js';
import { userDeleted } from './user-standing.js';
import { ROLE_RANK } from '../accounts/roles.js';

/** The users of the principal's account, a page at a time; agents and admins only. */
export async function listUsers(deps: ServiceDeps, principal: Principal, page: PageRequest, filter: { role?: User['role'] }) {
  requireRole(principal, 'agent');
  const rows = await listUsersPage(deps.db, principal.account.id, pageWindow(page), filter);
  return { rows, count: () => countUsers(deps.db, principal.account.id, filter) };
}

/** One user of the principal's account; end users see only themselves. */
export async function showUser(deps: ServiceDeps, principal: Principal, userId: number): Promise<User> {
  requireRole(principal, 'end-user');
  if (principal.user.role === 'end-user' && principal.user.id !== userId) throw forbidden('End users can only see their own profile.');
  const user = await findUserById(deps.db, principal.account.id, userId);
  if (user === undefined) throw notFound('User');
  return user;
}

function checkProducts(account: Account, realm: string, products: readonly string[]): number {
  const mask = productsToMask(products);
  const outside = maskToProducts(mask).filter((product: Product) => REALM_OF[product] !== realm);
  if (outside.length > 0)
    throw invalid(`Products ${outside.join(', ')} do not authenticate in the ${realm} realm.`, {
      products: [{ description: 'must belong to the user realm' }],
    });
  const notEnabled = maskToProducts(mask & ~account.products_mask);
  if (notEnabled.length > 0)
    throw invalid(`The account does not have ${notEnabled.join(', ')}.`, { products: [{ description: 'must be enabled on the account' }] });
  return mask;
}

const emailTaken = (): AppError =>
  invalid('Email is already being used by another user of this account.', {
    email: [{ description: 'is already being used by another user' }],
  });

type NewUserInput = UserInput & { name: string; email: string };

/** What a new user will be, checked: the caller may create the role, the account has the realm and products, the email is free. */
async function checkNewUser(deps: ServiceDeps, principal: Principal, input: NewUserInput) {
  requireRole(principal, 'agent', 'write');
  const role = input.role ?? 'end-user';
  if (role !== 'end-user') requireRole(principal, 'admin', 'write');
  const account = principal.account;
  const realm = input.realm ?? 'core';
  if (!realmsOf(maskToProducts(account.products_mask)).includes(realm as never))
    throw invalid(`The account has no product in the ${realm} realm.`, { realm: [{ description: 'is not used by this account' }] });
  const productsMask = checkProducts(
    account,
    realm,
    input.products ?? maskToProducts(account.products_mask).filter((p) => REALM_OF[p] === realm),
  );
  const email = input.email.toLowerCase();
  if ((await findUserByEmail(deps.db, account.id, realm, email)) !== undefined) throw emailTaken();
  if (input.password !== undefined && input.sso === true)
    throw invalid('An SSO user signs in through SSO and cannot have a password.', {
      password: [{ description: 'not allowed for SSO users' }],
    });
  return { role, realm, productsMask, email };
}

/** A first password checked and hashed before its user exists (the credential itself is authentication's). */
export interface PreparedFirstPassword {
  passwordHash: string;
}

/**
 * How a new user gets a password: authentication checks and hashes it first
 * (through its password gate), then stores it in the transaction that writes
 * the user. Given by the composition root, so users need not import it.
 */
export interface FirstPasswords {
  prepare(input: { email: string; password: string; clientIp: string | null }): Promise<PreparedFirstPassword>;
  store(tx: Queryable, input: { key: { accountId: number; userId: number }; prepared: PreparedFirstPassword; actor: Actor }): Promise<void>;
}

/**
 * Creates a user; admins create any role, agents only end users. A password
 * is checked against the policy and hashed first; then the user, its
 * credential and their audit events are written in one transaction, so a
 * refused password leaves no user behind. The account's owner user is
 * linked when this is it (its email is the owner email, none linked yet).
 */
export async function createUser(
  deps: ServiceDeps,
  principal: Principal,
  input: NewUserInput,
  passwords: FirstPasswords,
  clientIp: string | null = null,
): Promise<User> {
  const { role, realm, productsMask, email } = await checkNewUser(deps, principal, input);
  const account = principal.account;
  const prepared = input.password === undefined ? undefined : await passwords.prepare({ email, password: input.password, clientIp });
  const now = deps.clock.now().toISOString();
  const actor = { type: 'user', id: principal.user.id } as const;
  return deps.db.transaction().execute(async (tx) => {
    const row: User = {
      account_id: account.id,
      id: await reserveIds(tx, 'users', 1),
      realm,
      role,
      name: input.name,
      email,
      phone: input.phone ?? null,
      locale: input.locale ?? null,
      active: input.active === false ? 0 : 1,
      sso: input.sso === true ? 1 : 0,
      products_mask: productsMask,
      created_at: now,
      updated_at: now,
      last_login_at: null,
      external_id: input.external_id ?? null,
    };
    await insertUser(tx, row);
    await recordAudit(tx, deps, {
      accountId: account.id,
      actor,
      action: 'user.created',
      target: { type: 'user', id: row.id },
      data: { role, realm },
      personal: { userId: row.id, values: { email: row.email, name: row.name, phone: row.phone } },
    });
    if (prepared !== undefined) await passwords.store(tx, { key: { accountId: account.id, userId: row.id }, prepared, actor });
    await linkAccountOwners(tx, [account.id]);
    return row;
  });
}

/** The new email, name and phone of a change, recorded outside the hashed audit data so erasure can remove them. */
function personalChangesOf(userId: number, changes: Partial<User>) {
  const values = Object.fromEntries(
    (['email', 'name', 'phone'] as const).filter((key) => changes[key] !== undefined).map((key) => [key, changes[key] ?? null]),
  );
  return Object.keys(values).length === 0 ? {} : { personal: { userId, values } };
}

const SELF_EDITABLE = new Set<keyof UserInput>(['name', 'phone', 'locale']);

/** Updates a user: admins anything, agents end users, everyone their own name, phone and locale. */
export async function changeUser(deps: ServiceDeps, principal: Principal, userId: number, input: UserInput): Promise<User> {
  requireRole(principal, 'end-user', 'write');
  const user = await showUser(deps, principal, userId);
  if ((await findDeletedUser(deps.db, principal.account.id, user.id)) !== undefined) throw userDeleted(user.id);
  const self = principal.user.id === user.id;
  const onlySelfFields = Object.keys(input).every((key) => SELF_EDITABLE.has(key as keyof UserInput));
  if (!(self && onlySelfFields)) {
    requireRole(principal, 'agent', 'write');
    if (ROLE_RANK[user.role] > ROLE_RANK['end-user'] || input.role !== undefined) requireRole(principal, 'admin', 'write');
  }
  if (touchesOwnerGuardedFields(input)) await requireOwnerForOwnerChange(deps.db, principal.account.id, user.id, principal);
  const changes: Partial<User> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.phone !== undefined) changes.phone = input.phone;
  if (input.locale !== undefined) changes.locale = input.locale;
  if (input.role !== undefined) changes.role = input.role;
  if (input.active !== undefined) changes.active = input.active ? 1 : 0;
  if (input.sso !== undefined) changes.sso = input.sso ? 1 : 0;
  if (input.external_id !== undefined) changes.external_id = input.external_id;
  if (input.products !== undefined) changes.products_mask = checkProducts(principal.account, user.realm, input.products);
  if (input.email !== undefined && input.email.toLowerCase() !== user.email) {
    if ((await findUserByEmail(deps.db, principal.account.id, user.realm, input.email)) !== undefined) throw emailTaken();
    changes.email = input.email.toLowerCase();
  }
  if (input.realm !== undefined && input.realm !== user.realm)
    throw invalid('A user cannot move to another realm; create a user there instead.', { realm: [{ description: 'cannot change' }] });
  changes.updated_at = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    // Deleted meanwhile: the write leaves a deleted user as it is.
    if (!(await updateUser(tx, principal.account.id, user.id, changes))) throw userDeleted(user.id);
    await recordAudit(tx, deps, {
      accountId: principal.account.id,
      actor: { type: 'user', id: principal.user.id },
      action: 'user.updated',
      target: { type: 'user', id: user.id },
      data: { fields: Object.keys(changes).filter((key) => key !== 'updated_at') },
      ...personalChangesOf(user.id, changes),
    });
  });
  return { ...user, ...changes };
}
