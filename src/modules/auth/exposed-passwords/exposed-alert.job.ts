import { jobType } from '../../../platform/jobs/jobs.js';

/**
 * Sends the alert mail of one (account, window): every attempt with an exposed
 * password not yet summarised, to the operators and the account's security
 * contact. Keyed `{accountId}-{window start ms}` so that one window of one
 * account has one job, across processes.
 */
export const exposedAlertJob = jobType<{ accountId: number; windowStart: string }>('auth.exposed-credential-alert', {
  maxAttempts: 10,
});

export const exposedAlertKey = (accountId: number, windowStartMs: number): string => `${accountId}-${windowStartMs}`;
