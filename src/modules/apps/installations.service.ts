import type { Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { findMarketplaceApp } from './app-definition.js';
import { findPrivateAppsByIds } from './apps.repo.js';
import { actorOf, privateAppDefinition, resolveApp } from './apps.service.js';
import { sealInstallationSecrets } from './installation-secrets.js';
import { parseStoredSettings, planSettings, type SettingProblem, type SettingsPlan } from './installation-settings.js';
import {
  countInstallations,
  deleteInstallationRow,
  deleteSecrets,
  findInstallation,
  INSTALLATION_ID_SEQUENCE,
  insertInstallations,
  listInstallationsPage,
  readSecretStates,
  updateInstallationRow,
  upsertSecrets,
  type InstallationRow,
  type SecretState,
} from './installations.repo.js';
import type { InstallationDetail } from './installations.schema.js';

/** Zendesk caps an account's installations too; past this an account should be removing unused ones. */
export const MAX_INSTALLATIONS_PER_ACCOUNT = 1_000;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'handle'>;

/** A 422 naming each bad setting and what to fix, never its value. */
function settingsInvalid(problems: readonly SettingProblem[]): AppError {
  return invalid(
    `The installation's settings are invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
    Object.fromEntries(problems.map((p) => [p.field, problems.filter((q) => q.field === p.field).map((q) => q.message)])),
  );
}

const unknownApp = (appId: number): AppError =>
  invalid(
    `app_id ${appId} is neither a marketplace app nor a private app of this account; GET /api/v2/apps.json lists the apps you can install.`,
    { app_id: ['is not an app this account can install'] },
  );

/** Installations of one account with their apps and secure-setting states: two reads, whatever the number of rows. */
async function detailsOf(deps: Deps, db: Queryable, accountId: number, rows: readonly InstallationRow[]): Promise<InstallationDetail[]> {
  if (rows.length === 0) return [];
  const secrets = await readSecretStates(
    db,
    accountId,
    rows.map((row) => Number(row.id)),
  );
  const privateIds = [...new Set(rows.map((row) => Number(row.app_id)).filter((appId) => findMarketplaceApp(appId) === undefined))];
  const privateApps = await findPrivateAppsByIds(db, [accountId], privateIds, deps.handle.capabilities.maxParameters);
  const apps = new Map(privateApps.map((row) => [Number(row.id), privateAppDefinition(row)]));
  const secretsOf = new Map<number, SecretState[]>();
  for (const secret of secrets)
    secretsOf.set(Number(secret.installation_id), [...(secretsOf.get(Number(secret.installation_id)) ?? []), secret]);
  return rows.map((row) => {
    const appId = Number(row.app_id);
    const app = findMarketplaceApp(appId) ?? apps.get(appId);
    if (app === undefined)
      throw new AppError('InvalidConfiguration', `Installation ${row.id} of account ${accountId} names app ${appId}, which is gone.`);
    return { row, app, secrets: secretsOf.get(Number(row.id)) ?? [] };
  });
}

/** The principal's account's installations, a page at a time (agents and admins). */
export async function listInstallations(deps: Deps, principal: Principal, page: PageRequest) {
  requireRole(principal, 'agent');
  const accountId = principal.account.id;
  const rows = await listInstallationsPage(deps.db, accountId, pageWindow(page));
  return { details: await detailsOf(deps, deps.db, accountId, rows), count: () => countInstallations(deps.db, accountId) };
}

export async function showInstallation(deps: Deps, principal: Principal, id: number): Promise<InstallationDetail> {
  requireRole(principal, 'agent');
  const row = await findInstallation(deps.db, principal.account.id, id);
  if (row === undefined) throw notFound('App installation');
  const [detail] = await detailsOf(deps, deps.db, principal.account.id, [row]);
  return detail as InstallationDetail;
}

/** Seals the plan's new secure values, stores them and removes the cleared ones, in the caller's transaction. */
async function applySecrets(deps: Deps, tx: Queryable, accountId: number, installationId: number, plan: SettingsPlan, now: string) {
  const rows = await sealInstallationSecrets(
    tx,
    deps.keyring,
    deps.clock,
    plan.secretsToSet.map((secret) => ({ accountId, installationId, field: secret.field, plaintext: secret.plaintext, setAt: now })),
  );
  await upsertSecrets(tx, rows, deps.handle.capabilities.maxParameters);
  await deleteSecrets(tx, accountId, installationId, plan.secretsToClear);
}

export interface CreateInstallationInput {
  appId: number;
  settings: Readonly<Record<string, unknown>>;
  enabled: boolean;
}

/**
 * Installs an app in the principal's account (admins only). Secure settings
 * are sealed by the keyring, each with the time it was set; the audit event
 * names the settings given, never their values.
 *
 * @example
 * const detail = await createInstallation(deps, principal, { appId: 1001, settings: { channel: '#help', api_token: 'xoxb-...' }, enabled: true });
 */
export async function createInstallation(deps: Deps, principal: Principal, input: CreateInstallationInput): Promise<InstallationDetail> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const app = await resolveApp(deps.db, accountId, input.appId);
  if (app === undefined) throw unknownApp(input.appId);
  const planned = planSettings(app, input.settings);
  if (!planned.ok) throw settingsInvalid(planned.problems);
  const { plan } = planned;
  if ((await countInstallations(deps.db, accountId)) >= MAX_INSTALLATIONS_PER_ACCOUNT)
    throw invalid(
      `This account already has ${MAX_INSTALLATIONS_PER_ACCOUNT} app installations, the most it may hold; remove unused ones first.`,
    );
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const row: InstallationRow = {
      account_id: accountId,
      id: await reserveIds(tx, INSTALLATION_ID_SEQUENCE, 1),
      app_id: app.id,
      product: app.product,
      settings: JSON.stringify(plan.plain),
      enabled: input.enabled ? 1 : 0,
      created_by: principal.user.id,
      created_at: now,
      updated_at: now,
    };
    await insertInstallations(tx, [row], deps.handle.capabilities.maxParameters);
    await applySecrets(deps, tx, accountId, row.id, plan, now);
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'app_installation.created',
      target: { type: 'app_installation', id: row.id },
      data: {
        via: principal.via,
        app_id: app.id,
        app_name: app.name,
        enabled: input.enabled,
        settings: Object.keys(plan.plain),
        secure_settings_set: plan.secretsToSet.map((secret) => secret.field),
      },
    });
    const [detail] = await detailsOf(deps, tx, accountId, [row]);
    return detail as InstallationDetail;
  });
}

export interface UpdateInstallationInput {
  settings: Readonly<Record<string, unknown>> | undefined;
  enabled: boolean | undefined;
}

/**
 * Changes an installation (admins only): settings given replace, absent ones
 * stay, `null` removes. A secure setting given a new value is rotated (sealed
 * anew, its `set_at` now); given the mask back, or left out, it keeps its
 * value and date.
 *
 * @example
 * await updateInstallation(deps, principal, installationId, { settings: { api_token: 'xoxb-new' }, enabled: undefined });
 */
export async function updateInstallation(
  deps: Deps,
  principal: Principal,
  id: number,
  input: UpdateInstallationInput,
): Promise<InstallationDetail> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  return deps.db.transaction().execute(async (tx) => {
    const row = await findInstallation(tx, accountId, id);
    if (row === undefined) throw notFound('App installation');
    const app = await resolveApp(tx, accountId, Number(row.app_id));
    if (app === undefined) throw unknownApp(Number(row.app_id));
    const states = await readSecretStates(tx, accountId, [id]);
    const planned = planSettings(app, input.settings ?? {}, {
      plain: parseStoredSettings(row.settings),
      secretsSet: new Set(states.map((state) => state.field)),
    });
    if (!planned.ok) throw settingsInvalid(planned.problems);
    const { plan } = planned;
    const now = deps.clock.now().toISOString();
    const enabled = input.enabled === undefined ? row.enabled : input.enabled ? 1 : 0;
    await applySecrets(deps, tx, accountId, id, plan, now);
    await updateInstallationRow(tx, accountId, id, { settings: JSON.stringify(plan.plain), enabled, updated_at: now });
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'app_installation.updated',
      target: { type: 'app_installation', id },
      data: {
        via: principal.via,
        app_id: app.id,
        app_name: app.name,
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
        settings_changed: plan.plainChanged,
        secure_settings_rotated: plan.secretsToSet.map((secret) => secret.field),
        secure_settings_removed: plan.secretsToClear,
      },
    });
    const [detail] = await detailsOf(deps, tx, accountId, [{ ...row, settings: JSON.stringify(plan.plain), enabled, updated_at: now }]);
    return detail as InstallationDetail;
  });
}

/** Removes an installation and its secure values (admins only); audited with the app and the secure settings it held. */
export async function deleteInstallation(deps: Deps, principal: Principal, id: number): Promise<void> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  await deps.db.transaction().execute(async (tx) => {
    const row = await findInstallation(tx, accountId, id);
    if (row === undefined) throw notFound('App installation');
    const states = await readSecretStates(tx, accountId, [id]);
    if (!(await deleteInstallationRow(tx, accountId, id))) throw notFound('App installation');
    const app = await resolveApp(tx, accountId, Number(row.app_id));
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'app_installation.deleted',
      target: { type: 'app_installation', id },
      data: {
        via: principal.via,
        app_id: Number(row.app_id),
        app_name: app?.name ?? null,
        secure_settings_removed: states.map((state) => state.field),
      },
    });
  });
}
