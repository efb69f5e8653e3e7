import { jobType } from '../../platform/jobs/jobs.js';

/** Runs at a grant's expiry to audit it and tell the admins; access itself never waits for it. */
export const grantExpiryJob = jobType<{ accountId: number; grantId: number }>('staff-access.grant-expiry', { maxAttempts: 10 });
