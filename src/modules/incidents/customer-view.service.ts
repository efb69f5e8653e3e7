import { AppError } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { installationExposureForAccount } from '../apps/installation-exposure.service.js';
import { credentialExposureForAccount, type CredentialExposure } from '../auth/credential-exposure.service.js';
import { listExposedCertificates } from '../certificates/certificate-exposure.service.js';
import { accountRotation, listAffectingIncidents, type AffectingIncidentRow } from './customer-view.repo.js';
import type { ExposureCategory } from './exposures.model.js';
import type { IncidentState } from './incident.model.js';
import { listPublicTasksDone } from './incidents.repo.js';
import { inventoryCutoffOf, parseHashTiers } from './scope.service.js';
import type { HashTierCounts } from '../auth/passwords/hash-strength.js';
import { useBeforeRotation, type UseBeforeRotation } from './use-before-rotation.service.js';

export type CustomerViewDeps = Pick<ServiceDeps, 'db' | 'clock' | 'handle'>;
/** The whole view also reads the account's sign-in events (use before rotation). */
export type IncidentViewDeps = CustomerViewDeps & Pick<ServiceDeps, 'signInEvents'>;

/** A closed incident stays on the customer's list this long after closing. */
export const CLOSED_INCIDENT_VISIBILITY_MS = 90 * 24 * 60 * 60 * 1000;

export const NOT_AFFECTED_DESCRIPTION = 'Your account is not affected by any security incident.';

export type ActionItem =
  | {
      kind: 'rotate_installation_secrets';
      installation_id: number;
      app_name: string;
      installed_at: string;
      stale_fields: Array<{ field: string; set_at: string }>;
    }
  | { kind: 'replace_certificate'; certificate_id: number; hostnames: string[]; uploaded_at: string; not_after: string }
  | {
      kind: 'revoke_api_token';
      api_token_id: number;
      description: string;
      token_hint: string;
      created_at: string;
      last_used_at: string | null;
    }
  | { kind: 'regenerate_oauth_client_secret'; oauth_client_id: number; name: string; identifier: string; secret_set_at: string }
  | { kind: 'regenerate_jwt_shared_secret'; set_at: string }
  | { kind: 'replace_saml_configuration'; set_at: string };

export interface AccountRotationProgress {
  targets: number;
  changed: number;
  remaining: number;
}

/** Something the vendor did about the incident: a task its operators marked public when they completed it. */
export interface ActionTaken {
  title: string;
  done_at: string;
}

export interface AccountIncidentView {
  id: number;
  title: string;
  state: IncidentState;
  became_aware_at: string;
  affected: true;
  categories: ExposureCategory[];
  people: { total: number; agents: number; end_users: number };
  records: Partial<Record<ExposureCategory, number>>;
  /** The account's exposed password credentials per hash tier (README, "Risk by hash strength"); null unless `password_hashes` was exposed. */
  password_hash_tiers: HashTierCounts | null;
  action_items: ActionItem[];
  rotation: AccountRotationProgress | null;
  /** Was the exposed password used before rotation (README, "Use before rotation")? Null until a campaign of the incident targets the account's users. */
  use_before_rotation: UseBeforeRotation | null;
  /** What the vendor has done, by completion date (tasks marked public when completed). */
  actions_taken: ActionTaken[];
}

export type SecurityIncidentsView =
  { incidents: AccountIncidentView[] } | { incidents: []; affected: false; description: typeof NOT_AFFECTED_DESCRIPTION };

/**
 * The account's open to-do list for an incident, from the inventories with the
 * incident's cutoff: installations whose secrets were set before it (when
 * `app_secrets` was exposed), certificates uploaded before it and still
 * usable (when `tls_keys` was), and when `auth_credentials` were: API tokens
 * created before it, OAuth client secrets, the JWT shared secret and the SAML
 * configuration set before it. Acting on an item (regenerate, revoke,
 * replace) gives it a date after the cutoff, which takes it off the list.
 */
export async function accountActionItems(
  deps: CustomerViewDeps,
  incident: AffectingIncidentRow,
  accountId: number,
  categories: readonly ExposureCategory[],
): Promise<ActionItem[]> {
  const cutoff = inventoryCutoffOf(incident);
  const [installations, certificates, credentials] = await Promise.all([
    categories.includes('app_secrets') ? installationExposureForAccount(deps, accountId, cutoff) : Promise.resolve([]),
    categories.includes('tls_keys') ? exposedCertificatesOf(deps, accountId, cutoff) : Promise.resolve([]),
    categories.includes('auth_credentials') ? credentialExposureForAccount(deps.db, accountId, cutoff) : Promise.resolve(undefined),
  ]);
  return [
    ...installations.map((installation): ActionItem => ({
      kind: 'rotate_installation_secrets',
      installation_id: installation.installationId,
      app_name: installation.appName,
      installed_at: installation.installedAt,
      stale_fields: installation.staleSecrets.map((secret) => ({ field: secret.field, set_at: secret.setAt })),
    })),
    ...certificates.map((certificate): ActionItem => ({
      kind: 'replace_certificate',
      certificate_id: certificate.id,
      hostnames: certificate.hostnames,
      uploaded_at: certificate.uploadedAt,
      not_after: certificate.notAfter,
    })),
    ...(credentials === undefined ? [] : credentialItems(credentials)),
  ];
}

function credentialItems(credentials: CredentialExposure): ActionItem[] {
  return [
    ...credentials.apiTokens.map((token): ActionItem => ({
      kind: 'revoke_api_token',
      api_token_id: token.id,
      description: token.description,
      token_hint: token.tokenHint,
      created_at: token.createdAt,
      last_used_at: token.lastUsedAt,
    })),
    ...credentials.oauthClients.map((client): ActionItem => ({
      kind: 'regenerate_oauth_client_secret',
      oauth_client_id: client.id,
      name: client.name,
      identifier: client.identifier,
      secret_set_at: client.secretSetAt,
    })),
    ...(credentials.jwtSecretSetAt === null ? [] : [{ kind: 'regenerate_jwt_shared_secret' as const, set_at: credentials.jwtSecretSetAt }]),
    ...(credentials.samlConfiguredAt === null
      ? []
      : [{ kind: 'replace_saml_configuration' as const, set_at: credentials.samlConfiguredAt }]),
  ];
}

async function exposedCertificatesOf(deps: CustomerViewDeps, accountId: number, cutoff: string) {
  const rule = { uploadedBefore: cutoff, accountId };
  let page = await listExposedCertificates(deps, rule);
  const certificates = [...page.certificates];
  while (page.next !== null) {
    page = await listExposedCertificates(deps, rule, { after: page.next });
    certificates.push(...page.certificates);
  }
  return certificates;
}

/** The account's users' rotation progress for the incident; null when no campaign has run. */
export async function accountRotationProgress(
  deps: CustomerViewDeps,
  incidentId: number,
  accountId: number,
): Promise<AccountRotationProgress | null> {
  const rotation = await accountRotation(deps.db, incidentId, accountId);
  return rotation === undefined
    ? null
    : { targets: rotation.targets, changed: rotation.changed, remaining: rotation.targets - rotation.changed };
}

/** One affecting incident as the account's admin sees it. */
export async function accountIncidentView(
  deps: IncidentViewDeps,
  row: AffectingIncidentRow,
  accountId: number,
): Promise<AccountIncidentView> {
  const categories = JSON.parse(row.categories) as ExposureCategory[];
  const agents = Number(row.people_agents);
  const endUsers = Number(row.people_end_users);
  const [action_items, rotation, actions_taken] = await Promise.all([
    accountActionItems(deps, row, accountId, categories),
    accountRotationProgress(deps, Number(row.id), accountId),
    listPublicTasksDone(deps.db, Number(row.id)),
  ]);
  return {
    id: Number(row.id),
    title: row.title,
    state: row.state,
    became_aware_at: row.became_aware_at,
    affected: true,
    categories,
    people: { total: agents + endUsers, agents, end_users: endUsers },
    records: JSON.parse(row.records) as Partial<Record<ExposureCategory, number>>,
    password_hash_tiers: parseHashTiers(row.hash_tiers),
    action_items,
    rotation,
    use_before_rotation: rotation !== null && categories.includes('password_hashes') ? await useBeforeRotation(deps, row, accountId) : null,
    actions_taken,
  };
}

const closedSince = (deps: CustomerViewDeps): string => new Date(deps.clock.now().getTime() - CLOSED_INCIDENT_VISIBILITY_MS).toISOString();

/**
 * What an account's admin sees of the security incidents: each incident, open
 * or closed in the last 90 days, whose latest scope version includes the
 * account, with the account's own categories, counts, to-do list and rotation
 * progress; or a plain "not affected". Only the account's rows are ever read.
 *
 * @example
 * const view = await securityIncidentsForAccount(deps, principal.account.id);
 * // { incidents: [{ id: 1, categories: ['app_secrets'], action_items: [{ kind: 'rotate_installation_secrets', app_name: 'Slack', ... }], ... }] }
 */
export async function securityIncidentsForAccount(deps: IncidentViewDeps, accountId: number): Promise<SecurityIncidentsView> {
  const rows = await listAffectingIncidents(deps.db, accountId, closedSince(deps));
  if (rows.length === 0) return { incidents: [], affected: false, description: NOT_AFFECTED_DESCRIPTION };
  return { incidents: await Promise.all(rows.map((row) => accountIncidentView(deps, row, accountId))) };
}

/**
 * One incident as the account sees it, with its scope row; a 404 when the
 * incident does not exist or its latest scope does not include the account,
 * so that an outsider cannot tell the two apart.
 */
export async function affectingIncident(deps: CustomerViewDeps, incidentId: number, accountId: number): Promise<AffectingIncidentRow> {
  const [row] = await listAffectingIncidents(deps.db, accountId, '', incidentId);
  if (row === undefined)
    throw new AppError(
      'RecordNotFound',
      `Incident ${incidentId} does not affect this account; GET /api/v2/security/incidents lists the incidents that do.`,
    );
  return row;
}
