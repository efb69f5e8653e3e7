import { AppError } from '../../errors.js';
import { isProduct, PRODUCTS, type Product } from '../../platform/products.js';
import catalogFile from './marketplace-catalog.json' with { type: 'json' };

/**
 * Marketplace apps have ids below this; private apps above it (their
 * sequence value plus this offset), so an `app_id` names one app whichever
 * kind it is.
 */
export const PRIVATE_APP_FIRST_ID = 100_000;

/**
 * What an app is: its id, product and the settings an installation of it
 * takes. A field marked `secure` holds a credential (API key, token,
 * password): it is sealed by the keyring, never shown again, and the time it
 * was last set is kept so that an incident can tell who must rotate it.
 */
export const FIELD_TYPES = ['text', 'multiline', 'url', 'number', 'checkbox'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
/** Credentials are text; a secure number or checkbox would be a mistake in the app's definition. */
const SECURE_FIELD_TYPES: readonly FieldType[] = ['text', 'multiline', 'url'];

export interface AppField {
  name: string;
  type: FieldType;
  secure: boolean;
  required: boolean;
}

export interface AppDefinition {
  id: number;
  name: string;
  product: Product;
  /** From the marketplace catalog (every account may install it) or private to one account. */
  marketplace: boolean;
  fields: readonly AppField[];
  author: string | null;
  shortDescription: string | null;
}

/** Field names: lower-case identifiers, so they are safe as object keys and in a secret's location. */
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/**
 * Settings every installation has, whatever its app (Zendesk's): `name`, the
 * installation's display name, and `title`, the app's name (read-only).
 */
export const RESERVED_SETTINGS: readonly string[] = ['name', 'title'];
export const MAX_FIELDS = 50;
export const MAX_APP_NAME = 100;

export interface DefinitionProblem {
  field: string;
  message: string;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Reads an app's field list (a private app's request body, a stored row or
 * the catalog) into definitions, with a problem per bad entry, named by its
 * position: `fields[2].name`.
 */
export function parseAppFields(
  value: unknown,
  path = 'fields',
): { ok: true; fields: AppField[] } | { ok: false; problems: DefinitionProblem[] } {
  if (!Array.isArray(value)) return { ok: false, problems: [{ field: path, message: 'must be a list of fields' }] };
  if (value.length > MAX_FIELDS) return { ok: false, problems: [{ field: path, message: `may hold at most ${MAX_FIELDS} fields` }] };
  const problems: DefinitionProblem[] = [];
  const fields: AppField[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const at = `${path}[${index}]`;
    const record = asRecord(entry);
    if (record === undefined) {
      problems.push({ field: at, message: 'must be an object with a name' });
      return;
    }
    const { name, type = 'text', secure = false, required = false } = record;
    const known = new Set(['name', 'type', 'secure', 'required']);
    for (const key of Object.keys(record))
      if (!known.has(key)) problems.push({ field: `${at}.${key.slice(0, 64)}`, message: 'is not a property of a field' });
    if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
      problems.push({ field: `${at}.name`, message: 'must be a lower-case identifier (a-z, digits, _) of at most 64 characters' });
    } else if (RESERVED_SETTINGS.includes(name)) {
      problems.push({ field: `${at}.name`, message: `"${name}" is a setting of every installation; choose another name` });
    } else if (seen.has(name)) {
      problems.push({ field: `${at}.name`, message: `"${name}" is already the name of another field` });
    }
    if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type))
      problems.push({ field: `${at}.type`, message: `must be one of ${FIELD_TYPES.join(', ')}` });
    if (typeof secure !== 'boolean') problems.push({ field: `${at}.secure`, message: 'must be true or false' });
    if (typeof required !== 'boolean') problems.push({ field: `${at}.required`, message: 'must be true or false' });
    if (secure === true && typeof type === 'string' && !SECURE_FIELD_TYPES.includes(type as FieldType))
      problems.push({
        field: `${at}.secure`,
        message: `a secure field holds a credential: its type must be ${SECURE_FIELD_TYPES.join(', ')}`,
      });
    if (typeof name === 'string') seen.add(name);
    fields.push({ name: name as string, type: type as FieldType, secure: secure === true, required: required === true });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, fields };
}

/** The catalog shipped with the code; a broken entry stops the process at start, naming it. */
function loadCatalog(file: unknown): AppDefinition[] {
  const entries = asRecord(file)?.apps;
  if (!Array.isArray(entries)) throw catalogError('it has no "apps" list');
  const ids = new Set<number>();
  const names = new Set<string>();
  return entries.map((entry: unknown, index) => {
    const app = asRecord(entry) ?? {};
    const { id, name, product, author, short_description: shortDescription } = app;
    const where = `apps[${index}]`;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || id >= PRIVATE_APP_FIRST_ID || ids.has(id))
      throw catalogError(`${where}.id must be a unique integer from 1 to ${PRIVATE_APP_FIRST_ID - 1}`);
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_APP_NAME || names.has(name.toLowerCase()))
      throw catalogError(`${where}.name must be a unique name of at most ${MAX_APP_NAME} characters`);
    if (!isProduct(product)) throw catalogError(`${where}.product must be one of ${PRODUCTS.join(', ')}`);
    const fields = parseAppFields(app.fields, `${where}.fields`);
    if (!fields.ok) throw catalogError(fields.problems.map((p) => `${p.field} ${p.message}`).join('; '));
    ids.add(id);
    names.add(name.toLowerCase());
    return {
      id,
      name,
      product,
      marketplace: true,
      fields: fields.fields,
      author: typeof author === 'string' ? author : null,
      shortDescription: typeof shortDescription === 'string' ? shortDescription : null,
    };
  });
}

const catalogError = (what: string): AppError =>
  new AppError('InvalidConfiguration', `The marketplace catalog (modules/apps/marketplace-catalog.json) is invalid: ${what}.`);

/** Every marketplace app, in catalog order. */
export const MARKETPLACE_APPS: readonly AppDefinition[] = loadCatalog(catalogFile);
const MARKETPLACE_BY_ID = new Map(MARKETPLACE_APPS.map((app) => [app.id, app]));
const MARKETPLACE_BY_NAME = new Map(MARKETPLACE_APPS.map((app) => [app.name.toLowerCase(), app]));

export const findMarketplaceApp = (id: number): AppDefinition | undefined => MARKETPLACE_BY_ID.get(id);

/** By name, ignoring case: `slack` finds Slack. */
export const findMarketplaceAppByName = (name: string): AppDefinition | undefined => MARKETPLACE_BY_NAME.get(name.toLowerCase());

/** The secure fields of an app, by name. */
export const secureFieldNames = (app: AppDefinition): string[] => app.fields.filter((field) => field.secure).map((field) => field.name);
