import type { Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { addExposure } from './exposures.service.js';
import { declareIncident } from './incidents.service.js';

const CUTOFF = '2016-11-01T00:00:00Z';

/**
 * DESIGN.md's seed selector: agents active in Support or Chat and end users
 * created before the cutoff, in accounts activated before it, whose password
 * dates from before it and who are not on SSO.
 */
export const SEED_ROTATION_SELECTOR = {
  all: [
    { field: 'account.activated_at', op: 'before', value: CUTOFF },
    { field: 'user.realm', op: 'eq', value: 'core' },
    {
      any: [
        {
          all: [
            { field: 'user.role', op: 'in', value: ['agent', 'admin'] },
            { field: 'user.active', op: 'eq', value: true },
            { field: 'user.products', op: 'overlaps', value: ['support', 'chat'] },
          ],
        },
        {
          all: [
            { field: 'user.role', op: 'eq', value: 'end-user' },
            { field: 'user.created_at', op: 'before', value: CUTOFF },
          ],
        },
      ],
    },
    { field: 'user.password_changed_at', op: 'before', value: CUTOFF },
    { field: 'user.sso', op: 'eq', value: false },
  ],
} as const;

/**
 * The demo's incident: a 2016 exposure of password hashes, declared with its
 * cutoff and the seed selector as its exposure, so a fresh demo has a scope to
 * look at and a campaign to draft.
 */
export async function createSampleIncident(deps: Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>, actor: Actor): Promise<number> {
  const incident = await declareIncident(deps, {
    title: 'Sample: password hashes exposed by a 2016 database copy',
    becameAwareAt: '2016-11-08T09:00:00Z',
    cutoff: CUTOFF,
    actor,
  });
  await addExposure(deps, { incidentId: incident.id, category: 'password_hashes', selector: SEED_ROTATION_SELECTOR, actor });
  return incident.id;
}
