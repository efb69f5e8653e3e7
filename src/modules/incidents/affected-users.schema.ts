import { cursorLinksWireSchema, cursorMetaWireSchema, paginationQuerySchema } from '../../platform/http/pagination.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import { PRODUCTS, type Product } from '../../platform/products.js';
import { USER_ROLES } from '../accounts/roles.js';
import {
  ROTATION_EXEMPT_REASONS,
  ROTATION_TARGET_STATES,
  type AffectedUser,
  type AffectedUserCounts,
  type CursorPage,
  type RotationExemptReason,
  type RotationTarget,
  type RotationTargetState,
} from './affected-users.model.js';
import { exposureCategoryWireSchema } from './scope-ops.schema.js';

// Who exactly is affected, on the wire: the services build these shapes in wire names already; the schemas
// close them and the presenters check, by type, that what is built is what is declared.

const cursorQuery = {
  'page[size]': paginationQuerySchema['page[size]'],
  'page[after]': paginationQuerySchema['page[after]'],
  // Read only to refuse them: these lists page by cursor.
  page: { type: 'string', maxLength: 20 },
  per_page: { type: 'string', maxLength: 20 },
} as const;

/** `GET …/affected_users(.json|.csv)`: cursor pages (JSON) and one user-level category to filter by. */
export const affectedUsersQuerySchema = {
  type: 'object',
  properties: { ...cursorQuery, category: { type: 'string', maxLength: 40 } },
} as const;
export interface AffectedUsersQuery {
  'page[size]'?: string;
  'page[after]'?: string;
  page?: string;
  per_page?: string;
  category?: string;
}

/** `GET …/rotation_targets(.json|.csv)`: cursor pages (JSON) and one state to filter by. */
export const rotationTargetsQuerySchema = {
  type: 'object',
  properties: { ...cursorQuery, state: { type: 'string', maxLength: 40 } },
} as const;
/** The CSV exports take the filters only: they send every row. */
export const affectedUsersCsvQuerySchema = {
  type: 'object',
  properties: { category: affectedUsersQuerySchema.properties.category },
} as const;
export const rotationTargetsCsvQuerySchema = {
  type: 'object',
  properties: { state: rotationTargetsQuerySchema.properties.state },
} as const;

export interface RotationTargetsQuery {
  'page[size]'?: string;
  'page[after]'?: string;
  page?: string;
  per_page?: string;
  state?: string;
}

/** Users per product: every product, zero included. */
const productCountsWireSchema = closedObject(
  Object.fromEntries(PRODUCTS.map((product) => [product, wire.integer])) as Record<Product, typeof wire.integer>,
);

export const affectedUserWireSchema = closedObject({
  id: wire.integer,
  name: wire.string,
  email: wire.string,
  role: { type: 'string', enum: USER_ROLES },
  realm: wire.string,
  active: wire.boolean,
  sso: wire.boolean,
  products: { type: 'array', items: { type: 'string', enum: PRODUCTS } },
  /** The user-level categories whose exposures include the user. */
  categories: { type: 'array', items: exposureCategoryWireSchema },
});
export type AffectedUserWire = FromSchema<typeof affectedUserWireSchema>;

export const affectedUsersPageWireSchema = closedObject({
  affected_users: { type: 'array', items: affectedUserWireSchema },
  meta: cursorMetaWireSchema,
  links: cursorLinksWireSchema,
});
export type AffectedUsersPageWire = FromSchema<typeof affectedUsersPageWireSchema>;

export const rotationTargetWireSchema = closedObject({
  id: wire.integer,
  name: wire.string,
  email: wire.string,
  role: { type: 'string', enum: USER_ROLES },
  realm: wire.string,
  state: { type: 'string', enum: ROTATION_TARGET_STATES },
  exempt_reason: { type: ['string', 'null'], enum: [...ROTATION_EXEMPT_REASONS, null] },
  flagged_at: wire.nullableString,
  password_changed_at: wire.nullableString,
});
export type RotationTargetWire = FromSchema<typeof rotationTargetWireSchema>;

export const rotationTargetsPageWireSchema = closedObject({
  rotation_targets: { type: 'array', items: rotationTargetWireSchema },
  meta: cursorMetaWireSchema,
  links: cursorLinksWireSchema,
});
export type RotationTargetsPageWire = FromSchema<typeof rotationTargetsPageWireSchema>;

/** `GET …/affected_users/counts`: users in scope per product (overall and per category), rotation targets per state. */
export const affectedUserCountsWireSchema = closedObject({
  affected_users: closedObject({
    users: wire.integer,
    by_product: productCountsWireSchema,
    by_category: {
      type: 'array',
      items: closedObject({ category: exposureCategoryWireSchema, users: wire.integer, by_product: productCountsWireSchema }),
    },
  }),
  rotation_targets: closedObject({
    users: wire.integer,
    by_state: closedObject(
      Object.fromEntries(ROTATION_TARGET_STATES.map((state) => [state, wire.integer])) as Record<RotationTargetState, typeof wire.integer>,
    ),
    exempt: closedObject(
      Object.fromEntries(ROTATION_EXEMPT_REASONS.map((reason) => [reason, wire.integer])) as Record<
        RotationExemptReason,
        typeof wire.integer
      >,
    ),
  }),
});
export type AffectedUserCountsWire = FromSchema<typeof affectedUserCountsWireSchema>;

export const presentAffectedUsersPage = (page: CursorPage<AffectedUser>): AffectedUsersPageWire => ({
  affected_users: page.items,
  meta: page.meta,
  links: page.links,
});

export const presentRotationTargetsPage = (page: CursorPage<RotationTarget>): RotationTargetsPageWire => ({
  rotation_targets: page.items,
  meta: page.meta,
  links: page.links,
});

export const presentAffectedUserCounts = (counts: AffectedUserCounts): AffectedUserCountsWire => counts;
