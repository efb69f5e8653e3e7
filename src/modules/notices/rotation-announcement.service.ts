import type { ServiceDeps } from '../../platform/service-deps.js';
import { accountUrl } from '../accounts/account-urls.js';
import { enqueueMessages, type OutgoingMessage } from '../courier/outbox.service.js';
import { findCampaign } from '../incidents/campaigns.repo.js';
import { findIncident } from '../incidents/incidents.repo.js';
import { recentPasswordApiUseSince } from '../auth/passwords/password-api-use.js';
import { listAnnouncedTargets } from './rotation-announcement.repo.js';

/** Targets told per transaction. */
const TARGET_PAGE = 2_000;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs' | 'handle' | 'config'>;

/**
 * The advance notice of a scheduled campaign: the user rotation notice to
 * each frozen target, saying when the new password will be required, why,
 * and where to change it now (the password reset page, which a user can
 * reach signed out). Idempotency keys per campaign and user make a second
 * run queue nothing. Returns how many notices this run queued.
 */
export async function announceRotation(deps: Deps, campaignId: number): Promise<number> {
  const campaign = await findCampaign(deps.db, campaignId);
  // Told even when started by hand before the job ran; never once cancelled.
  if (campaign?.start_at === null || campaign?.start_at === undefined || campaign.state === 'cancelled') return 0;
  const incident = await findIncident(deps.db, Number(campaign.incident_id));
  if (incident === undefined) return 0;
  const startsAt = campaign.start_at;
  const apiUseSince = recentPasswordApiUseSince(deps.clock.now());
  let after = { accountId: 0, userId: 0 };
  let queued = 0;
  for (;;) {
    const targets = await listAnnouncedTargets(deps.db, campaignId, after, TARGET_PAGE);
    const last = targets.at(-1);
    if (last === undefined) break;
    const page = targets.map((target): OutgoingMessage => ({
      accountId: Number(target.account_id),
      purpose: 'user_rotation_notice',
      recipient: target.email,
      locale: target.user_locale ?? target.account_locale,
      idempotencyKey: `campaign:${campaignId}:announcement:${target.user_id}`,
      data: {
        userName: target.name,
        accountName: target.account_name,
        incidentTitle: incident.title,
        signInUrl: accountUrl(deps.config.publicUrl, target.subdomain, '/'),
        advisoryUrl: null,
        rotationStartsAt: startsAt,
        changePasswordUrl: accountUrl(deps.config.publicUrl, target.subdomain, '/access/password_reset'),
        passwordApiUsedAt: target.api_used_at !== null && target.api_used_at >= apiUseSince ? target.api_used_at : null,
      },
      incidentId: Number(incident.id),
    }));
    queued += await deps.db.transaction().execute((tx) => enqueueMessages(deps, tx, page, deps.handle.capabilities.maxParameters));
    after = { accountId: Number(last.account_id), userId: Number(last.user_id) };
  }
  return queued;
}
