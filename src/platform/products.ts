import { AppError } from '../errors.js';

/**
 * Products and their authentication realms. `core` is shared by Support,
 * Chat, Guide, Talk and Explore; the others authenticate on their own.
 * Product sets are stored as bitmasks so "overlaps" is one AND in SQL.
 */
export const PRODUCTS = ['support', 'chat', 'guide', 'talk', 'explore', 'sell', 'bime', 'connect', 'smooch'] as const;
export type Product = (typeof PRODUCTS)[number];

export const REALM_OF: Record<Product, string> = {
  support: 'core',
  chat: 'core',
  guide: 'core',
  talk: 'core',
  explore: 'core',
  sell: 'sell',
  bime: 'bime',
  connect: 'connect',
  smooch: 'smooch',
};

export const REALMS = ['core', 'sell', 'bime', 'connect', 'smooch'] as const;
export type Realm = (typeof REALMS)[number];

export const isProduct = (value: unknown): value is Product => typeof value === 'string' && (PRODUCTS as readonly string[]).includes(value);
export const isRealm = (value: unknown): value is Realm => typeof value === 'string' && (REALMS as readonly string[]).includes(value);

export function productsToMask(products: readonly string[]): number {
  let mask = 0;
  for (const product of products) {
    const bit = PRODUCTS.indexOf(product as Product);
    if (bit < 0) throw new AppError('RecordInvalid', `Unknown product "${product}"; expected one of ${PRODUCTS.join(', ')}.`);
    mask |= 1 << bit;
  }
  return mask;
}

export function maskToProducts(mask: number): Product[] {
  return PRODUCTS.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

/** The realms an account's products authenticate in. */
export function realmsOf(products: readonly Product[]): Realm[] {
  return [...new Set(products.map((p) => REALM_OF[p] as Realm))];
}
