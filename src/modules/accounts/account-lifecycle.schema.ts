import { ACCOUNT_STATUSES } from './account-status.js';
import { PRODUCTS } from '../../platform/products.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import type { AccountLifecycle } from './account-lifecycle.service.js';

/** An account's standing with the vendor: operators read and change it, its admins read it. */
export const accountLifecycleWireSchema = closedObject({
  id: wire.integer,
  subdomain: wire.string,
  name: wire.string,
  status: { type: 'string', enum: ACCOUNT_STATUSES },
  activated_at: wire.nullableString,
  products: { type: 'array', items: { type: 'string', enum: PRODUCTS } },
  created_at: wire.string,
  updated_at: wire.string,
});
export const accountLifecycleAnswerSchema = closedObject({ account: accountLifecycleWireSchema });
export type AccountLifecycleAnswer = FromSchema<typeof accountLifecycleAnswerSchema>;

/** `PUT /ops/v1/accounts/{subdomain}`: the fields to change; the service says what each must be. */
export const accountLifecycleChangeBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['account'],
  properties: {
    account: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { type: 'string', maxLength: 32 },
        activated_at: { type: 'string', maxLength: 64 },
        products: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 32 } },
      },
    },
  },
} as const;
export interface AccountLifecycleChangeBody {
  account: { status?: string; activated_at?: string; products?: string[] };
}

/** The service's view is the wire's shape: checked here, sent as it is. */
export const presentAccountLifecycle = (account: AccountLifecycle): AccountLifecycleAnswer => ({ account });
