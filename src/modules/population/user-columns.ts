import { maskToProducts, productsToMask, type Product, type Realm } from '../../platform/products.js';
import type { UserRole } from '../accounts/roles.js';
import type { ImportedUser } from './import-lines.parser.js';

/**
 * Checked users as they cross to the writing thread: one array per field,
 * products as their mask. A message is copied by structured clone, which
 * writes and reads every object's keys again: for a million users, arrays of
 * values took 0.7–1.0 s to read back on the receiving thread against
 * 2.0–2.5 s as objects, and rebuilding the objects there 0.15 s.
 */
export interface UserColumns {
  account: string[];
  realm: Realm[];
  role: UserRole[];
  name: string[];
  email: string[];
  phone: Array<string | null>;
  locale: Array<string | null>;
  created_at: string[];
  password_hash: Array<string | null>;
  password_changed_at: Array<string | null>;
  sso: boolean[];
  active: boolean[];
  products: number[];
}

export function toUserColumns(users: readonly ImportedUser[]): UserColumns {
  return {
    account: users.map((user) => user.account),
    realm: users.map((user) => user.realm),
    role: users.map((user) => user.role),
    name: users.map((user) => user.name),
    email: users.map((user) => user.email),
    phone: users.map((user) => user.phone),
    locale: users.map((user) => user.locale),
    created_at: users.map((user) => user.created_at),
    password_hash: users.map((user) => user.password_hash),
    password_changed_at: users.map((user) => user.password_changed_at),
    sso: users.map((user) => user.sso),
    active: users.map((user) => user.active),
    products: users.map((user) => productsToMask(user.products)),
  };
}

/** The users again, their products in catalogue order (only their set is stored). */
export function fromUserColumns(columns: UserColumns): ImportedUser[] {
  const productSets = new Map<number, Product[]>();
  return columns.account.map((account, i) => {
    const mask = columns.products[i] ?? 0;
    let products = productSets.get(mask);
    if (products === undefined) {
      products = maskToProducts(mask);
      productSets.set(mask, products);
    }
    return {
      account,
      realm: columns.realm[i]!,
      role: columns.role[i]!,
      name: columns.name[i]!,
      email: columns.email[i]!,
      phone: columns.phone[i] ?? null,
      locale: columns.locale[i] ?? null,
      created_at: columns.created_at[i]!,
      password_hash: columns.password_hash[i] ?? null,
      password_changed_at: columns.password_changed_at[i] ?? null,
      sso: columns.sso[i]!,
      active: columns.active[i]!,
      products,
    };
  });
}
