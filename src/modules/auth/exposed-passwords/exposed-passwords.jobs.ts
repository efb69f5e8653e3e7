import type { ServiceDeps } from '../../../platform/service-deps.js';
import { exposedAlertJob } from './exposed-alert.job.js';
import { sendExposedCredentialAlert } from './exposed-passwords.service.js';

export { exposedAlertJob } from './exposed-alert.job.js';

export function defineExposedPasswordJobs(deps: ServiceDeps): void {
  deps.jobs.define(exposedAlertJob, async ({ payload }) => {
    await sendExposedCredentialAlert(deps, payload);
  });
}
