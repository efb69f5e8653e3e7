import type { AccountsTable } from '../../db/schema.js';

/** Where an account stands with the vendor, as imports, selectors and the console name it. */
export const ACCOUNT_STATUSES = ['trial', 'active', 'trial_expired', 'inactive'] as const;
export type AccountStatus = AccountsTable['status'];
