import type { Product } from '../../platform/products.js';
import type { UserRole } from '../accounts/roles.js';
import type { ExposureCategory } from './exposures.model.js';

/**
 * Who exactly is affected, as an account's admins see it: the account's users
 * in scope per user-level category, and the users the incident's rotation
 * campaigns are about with where each one stands.
 */

/**
 * Where one user stands with the incident's rotation:
 * - `pending`: flagged, must choose a new password at next sign-in;
 * - `changed`: has set a new password since being flagged;
 * - `changed_before_rotation`: set a new password after the targets were frozen and before their batch ran, so was left alone;
 * - `not_yet_flagged`: a frozen target whose batch has not run (the campaign is scheduled, paused or under way);
 * - `exempt`: the campaign is about the user but does not target them, for `exempt_reason`.
 */
export const ROTATION_TARGET_STATES = ['pending', 'changed', 'changed_before_rotation', 'not_yet_flagged', 'exempt'] as const;
export type RotationTargetState = (typeof ROTATION_TARGET_STATES)[number];

/**
 * Why a user a campaign is about is not one of its targets: the dry run's
 * reasons in the dry run's order (the first that applies), then
 * `matched_after_freeze` for a user the selector matches now who was not
 * among the targets when they were frozen (created or changed since).
 */
export const ROTATION_EXEMPT_REASONS = [
  'other_realm',
  'sso',
  'no_password',
  'changed_since_cutoff',
  'excluded_by_selector',
  'matched_after_freeze',
] as const;
export type RotationExemptReason = (typeof ROTATION_EXEMPT_REASONS)[number];

/** One of the account's users in scope, with the categories whose exposures include them. */
export interface AffectedUser {
  id: number;
  name: string;
  email: string;
  role: UserRole;
  realm: string;
  active: boolean;
  sso: boolean;
  products: Product[];
  categories: ExposureCategory[];
}

/** One user the incident's rotation campaigns are about, with where they stand. */
export interface RotationTarget {
  id: number;
  name: string;
  email: string;
  role: UserRole;
  realm: string;
  state: RotationTargetState;
  /** Why a user is exempt; null for every other state. */
  exempt_reason: RotationExemptReason | null;
  /** When the user was first required to choose a new password; null unless pending or changed. */
  flagged_at: string | null;
  /** When the user's password was last set; null without a password. */
  password_changed_at: string | null;
}

/** Users per product (every product, zero included). */
export type ProductCounts = Record<Product, number>;

export interface AffectedUserCounts {
  affected_users: {
    users: number;
    by_product: ProductCounts;
    /** Per user-level category the incident exposes for the account, in the categories' order. */
    by_category: Array<{ category: ExposureCategory; users: number; by_product: ProductCounts }>;
  };
  rotation_targets: {
    users: number;
    by_state: Record<RotationTargetState, number>;
    exempt: Record<RotationExemptReason, number>;
  };
}
/** A cursor page as the other customer lists answer it (`page[size]`, `page[after]`, `meta.has_more`, `links.next`). */
export interface CursorPage<T> {
  items: T[];
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
  links: { prev: null; next: string | null };
}
