import type { User } from '../../db/schema.js';
import { maskToProducts, PRODUCTS, REALMS } from '../../platform/products.js';

/** Zendesk's user object, with Riposte's realm, products and SSO flag. */
export interface UserView {
  id: number;
  url: string;
  name: string;
  email: string;
  created_at: string;
  updated_at: string;
  phone: string | null;
  locale: string | null;
  role: User['role'];
  active: boolean;
  suspended: boolean;
  verified: boolean;
  external_id: string | null;
  last_login_at: string | null;
  realm: string;
  products: string[];
  sso: boolean;
}

export function presentUser(user: User, baseUrl: string): UserView {
  return {
    id: Number(user.id),
    url: `${baseUrl}/api/v2/users/${user.id}.json`,
    name: user.name,
    email: user.email,
    created_at: user.created_at,
    updated_at: user.updated_at,
    phone: user.phone,
    locale: user.locale,
    role: user.role,
    active: user.active === 1,
    suspended: user.active !== 1,
    verified: true,
    external_id: user.external_id,
    last_login_at: user.last_login_at,
    realm: user.realm,
    products: maskToProducts(user.products_mask),
    sso: user.sso === 1,
  };
}

const nullableString = { type: ['string', 'null'] } as const;

export const userViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    url: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    phone: nullableString,
    locale: nullableString,
    role: { type: 'string' },
    active: { type: 'boolean' },
    suspended: { type: 'boolean' },
    verified: { type: 'boolean' },
    external_id: nullableString,
    last_login_at: nullableString,
    realm: { type: 'string' },
    products: { type: 'array', items: { type: 'string' } },
    sso: { type: 'boolean' },
    authenticity_token: { type: 'string' },
  },
} as const;

export interface UserInput {
  name?: string;
  email?: string;
  role?: User['role'];
  realm?: string;
  products?: string[];
  phone?: string | null;
  locale?: string | null;
  sso?: boolean;
  active?: boolean;
  external_id?: string | null;
  password?: string;
}

const userInputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  email: { type: 'string', minLength: 3, maxLength: 320, format: 'email' },
  role: { type: 'string', enum: ['end-user', 'agent', 'admin'] },
  realm: { type: 'string', enum: [...REALMS] },
  products: { type: 'array', items: { type: 'string', enum: [...PRODUCTS] }, uniqueItems: true, maxItems: PRODUCTS.length },
  phone: { type: ['string', 'null'], maxLength: 64 },
  locale: { type: ['string', 'null'], pattern: '^[a-z]{2}(-[A-Za-z]{2})?$' },
  sso: { type: 'boolean' },
  active: { type: 'boolean' },
  external_id: { type: ['string', 'null'], maxLength: 255 },
} as const;

export const createUserBodySchema = {
  type: 'object',
  required: ['user'],
  additionalProperties: false,
  properties: {
    user: {
      type: 'object',
      required: ['name', 'email'],
      additionalProperties: false,
      properties: { ...userInputProperties, password: { type: 'string', minLength: 1, maxLength: 1024 } },
    },
  },
} as const;

export const updateUserBodySchema = {
  type: 'object',
  required: ['user'],
  additionalProperties: false,
  properties: { user: { type: 'object', additionalProperties: false, minProperties: 1, properties: userInputProperties } },
} as const;
