import type { IncidentsTable } from '../../db/schema.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { truncatedAddress } from '../../platform/sign-in-events/sign-in-events.repo.js';
import {
  listKnownSources,
  listPasswordSignInsBeforeRotation,
  oldestSignInEventAt,
  type PasswordChannel,
} from './use-before-rotation.repo.js';

/** At most this many sign-ins from a new source are listed; all are counted. */
export const UNFAMILIAR_LIST_LIMIT = 50;
const USERS_PER_QUERY = 500;

/** Why a sign-in's source was new to its user. */
export type NewSourceReason = 'new_network' | 'new_user_agent';

export interface UseBeforeRotation {
  /** From the start of the exposure (else the cutoff) to each target's rotation (or now, for targets not yet flagged). */
  period: { from: string; to: string };
  /** How the figures were reached, in words: what "no evidence of use" rests on. */
  method: string;
  /** The account's oldest kept sign-in event: before it, nothing could be known. */
  records_since: string | null;
  sign_ins: number;
  users: number;
  unfamiliar: { sign_ins: number; users: number };
  /** The sign-ins from a source the user had never used before, oldest first (at most 50). */
  to_investigate: Array<{
    user_id: number;
    occurred_at: string;
    channel: PasswordChannel;
    ip: string | null;
    user_agent: string | null;
    reasons: NewSourceReason[];
  }>;
}

/**
 * A user agent's family: the browser or client, without its version, so that
 * an update is not a new source. Browsers by their distinguishing token; any
 * other client by its first product name (`curl/8.5` → `curl`).
 *
 * @example
 * userAgentFamily('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'); // 'chrome'
 */
export function userAgentFamily(userAgent: string | null): string {
  if (userAgent === null || userAgent.trim() === '') return 'none';
  const ua = userAgent.toLowerCase();
  for (const [token, family] of [
    ['edg/', 'edge'],
    ['opr/', 'opera'],
    ['firefox/', 'firefox'],
    ['chrome/', 'chrome'],
    ['chromium/', 'chrome'],
    ['safari/', 'safari'],
  ] as const)
    if (ua.includes(token)) return family;
  return /^[^/\s]+/.exec(ua)?.[0] ?? 'other';
}

const networkOf = (ip: string | null): string => (ip === null ? 'none' : truncatedAddress(ip));

export const USE_BEFORE_ROTATION_METHOD =
  'Successful password sign-ins (web sign-in and email:password on the API) by the rotation targets between the start of the exposure and each target’s rotation, from the sign-in events kept since records_since; a sign-in is from a new source when, before the exposure, the user had never succeeded from its network (IPv4 /24, IPv6 /48) or with its user agent family.';

/**
 * Was the exposed password used? For one account of an incident: the
 * successful password sign-ins of its rotation targets after the exposure
 * began and before their rotation (each made with the password set before the
 * cutoff, so the exposed one), and those of them from a source the user had
 * never used before the exposure. Pending sign-in events of this process are
 * written first.
 *
 * @example
 * const use = await useBeforeRotation(deps, incident, account.id);
 * use.unfamiliar.sign_ins === 0; // "no evidence of use", for use.period, by use.method
 */
export async function useBeforeRotation(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'signInEvents'>,
  incident: Pick<IncidentsTable, 'id' | 'exposure_starts_at' | 'cutoff' | 'became_aware_at'>,
  accountId: number,
): Promise<UseBeforeRotation> {
  await deps.signInEvents.flush();
  const from = incident.exposure_starts_at ?? incident.cutoff ?? incident.became_aware_at;
  const to = deps.clock.now().toISOString();
  const signIns = await listPasswordSignInsBeforeRotation(deps.db, { incidentId: Number(incident.id), accountId, from, until: to });
  const userIds = [...new Set(signIns.map((row) => row.user_id))];
  const networks = new Map<number, Set<string>>();
  const families = new Map<number, Set<string>>();
  for (let start = 0; start < userIds.length; start += USERS_PER_QUERY) {
    for (const known of await listKnownSources(deps.db, accountId, userIds.slice(start, start + USERS_PER_QUERY), from)) {
      networks.set(known.user_id, (networks.get(known.user_id) ?? new Set()).add(networkOf(known.ip)));
      families.set(known.user_id, (families.get(known.user_id) ?? new Set()).add(userAgentFamily(known.user_agent)));
    }
  }
  const unfamiliar = signIns.flatMap((row) => {
    const reasons: NewSourceReason[] = [];
    if (!(networks.get(row.user_id)?.has(networkOf(row.ip)) ?? false)) reasons.push('new_network');
    if (!(families.get(row.user_id)?.has(userAgentFamily(row.user_agent)) ?? false)) reasons.push('new_user_agent');
    return reasons.length === 0 ? [] : [{ ...row, reasons }];
  });
  const count = (rows: ReadonlyArray<{ attempts: number }>): number => rows.reduce((sum, row) => sum + row.attempts, 0);
  return {
    period: { from, to },
    method: USE_BEFORE_ROTATION_METHOD,
    records_since: await oldestSignInEventAt(deps.db, accountId),
    sign_ins: count(signIns),
    users: userIds.length,
    unfamiliar: { sign_ins: count(unfamiliar), users: new Set(unfamiliar.map((row) => row.user_id)).size },
    to_investigate: unfamiliar.slice(0, UNFAMILIAR_LIST_LIMIT).map((row) => ({
      user_id: row.user_id,
      occurred_at: row.occurred_at,
      channel: row.channel,
      ip: row.ip,
      user_agent: row.user_agent,
      reasons: row.reasons,
    })),
  };
}
