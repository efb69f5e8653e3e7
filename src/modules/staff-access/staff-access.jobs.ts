import type { ServiceDeps } from '../../platform/service-deps.js';
import { findAccountById } from '../accounts/accounts.repo.js';
import { grantExpiryJob } from './grant-expiry.job.js';
import { recordGrantExpiry } from './grants.service.js';

export { grantExpiryJob } from './grant-expiry.job.js';

export function defineStaffAccessJobs(deps: ServiceDeps): void {
  deps.jobs.define(grantExpiryJob, async ({ payload }) => {
    const account = await findAccountById(deps.db, payload.accountId);
    if (account === undefined) return;
    await recordGrantExpiry(deps, account, payload.grantId);
  });
}
