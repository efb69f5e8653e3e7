import { findAccountById } from '../../accounts/accounts.repo.js';
import { jobType } from '../../../platform/jobs/jobs.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requestPasswordReset } from './sign-in.service.js';

/**
 * A reset request runs as a job so the HTTP answer takes the same time
 * whether or not the address exists.
 */
export const passwordResetRequestJob = jobType<{ accountId: number; realm: string; email: string; resetPageUrl: string }>(
  'password-reset.request',
  {
    maxAttempts: 3,
  },
);

export function definePasswordResetJobs(deps: ServiceDeps): void {
  deps.jobs.define(passwordResetRequestJob, async ({ payload }) => {
    const account = await findAccountById(deps.db, payload.accountId);
    if (account === undefined) return;
    await requestPasswordReset(deps, { account, realm: payload.realm, email: payload.email, resetPageUrl: payload.resetPageUrl });
  });
}
