import type { Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid } from '../../errors.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import { isProduct, PRODUCTS } from '../../platform/products.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import {
  findMarketplaceApp,
  findMarketplaceAppByName,
  MARKETPLACE_APPS,
  parseAppFields,
  PRIVATE_APP_FIRST_ID,
  type AppDefinition,
} from './app-definition.js';
import {
  APP_ID_SEQUENCE,
  countPrivateApps,
  findPrivateApp,
  findPrivateAppByName,
  insertPrivateApp,
  listPrivateApps,
  type PrivateAppRow,
} from './apps.repo.js';

/** Past this an account is building a marketplace of its own; ask it to delete unused apps. */
export const MAX_PRIVATE_APPS_PER_ACCOUNT = 200;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

/** The acting user; the credential it came through goes in the event's `via`. */
export const actorOf = (principal: Principal) => ({ type: 'user' as const, id: principal.user.id });

/** A stored private app as a definition; its fields were validated when it was created. */
export function privateAppDefinition(row: PrivateAppRow): AppDefinition {
  const fields = parseAppFields(JSON.parse(row.fields) as unknown);
  if (!fields.ok || !isProduct(row.product)) {
    throw new AppError(
      'InvalidConfiguration',
      `Private app ${row.id} of account ${row.account_id} is stored in a shape this version does not read.`,
    );
  }
  return {
    id: Number(row.id),
    name: row.name,
    product: row.product,
    marketplace: false,
    fields: fields.fields,
    author: null,
    shortDescription: null,
  };
}

/** The app `appId` names for this account: a marketplace app, or one of the account's private apps. */
export async function resolveApp(db: Queryable, accountId: number, appId: number): Promise<AppDefinition | undefined> {
  const marketplace = findMarketplaceApp(appId);
  if (marketplace !== undefined) return marketplace;
  const row = await findPrivateApp(db, accountId, appId);
  return row === undefined ? undefined : privateAppDefinition(row);
}

/** The marketplace catalog and the account's private apps (agents may read). */
export async function listApps(deps: Deps, principal: Principal): Promise<AppDefinition[]> {
  requireRole(principal, 'agent');
  const rows = await listPrivateApps(deps.db, principal.account.id);
  return [...MARKETPLACE_APPS, ...rows.map(privateAppDefinition)];
}

export interface PrivateAppInput {
  name: string;
  product: string;
  fields: unknown;
}

/**
 * Creates a private app for the principal's account (admins only): its
 * name, product and settings fields, those holding credentials marked
 * `secure`. Audited with its field names and which are secure.
 *
 * @example
 * const app = await createPrivateApp(deps, principal, {
 *   name: 'Billing bridge', product: 'support',
 *   fields: [{ name: 'endpoint', type: 'url', required: true }, { name: 'api_key', secure: true, required: true }],
 * });
 */
export async function createPrivateApp(deps: Deps, principal: Principal, input: PrivateAppInput): Promise<AppDefinition> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const name = input.name.trim();
  if (!isProduct(input.product)) throw invalid(`product must be one of ${PRODUCTS.join(', ')}.`, { product: ['is not a product'] });
  const fields = parseAppFields(input.fields);
  if (!fields.ok) {
    throw invalid(
      `The app's fields are invalid: ${fields.problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      Object.fromEntries(fields.problems.map((p) => [p.field, [p.message]])),
    );
  }
  if (findMarketplaceAppByName(name) !== undefined)
    throw invalid(`${name} is the name of a marketplace app; give your private app another name.`, { name: ['is taken'] });
  if ((await countPrivateApps(deps.db, accountId)) >= MAX_PRIVATE_APPS_PER_ACCOUNT)
    throw invalid(`This account already has ${MAX_PRIVATE_APPS_PER_ACCOUNT} private apps, the most it may hold.`);
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    if ((await findPrivateAppByName(tx, accountId, name)) !== undefined)
      throw invalid(`This account already has a private app named ${name}; choose another name.`, { name: ['is taken'] });
    const row: PrivateAppRow = {
      account_id: accountId,
      // Above every marketplace id, so one app_id names one app.
      id: PRIVATE_APP_FIRST_ID - 1 + (await reserveIds(tx, APP_ID_SEQUENCE, 1)),
      name,
      product: input.product,
      fields: JSON.stringify(fields.fields),
      created_by: principal.user.id,
      created_at: now,
      updated_at: now,
    };
    await insertPrivateApp(tx, row);
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'app.created',
      target: { type: 'app', id: row.id },
      data: {
        via: principal.via,
        name,
        product: row.product,
        fields: fields.fields.map((field) => field.name),
        secure_fields: fields.fields.filter((field) => field.secure).map((field) => field.name),
      },
    });
    return privateAppDefinition(row);
  });
}
