import { AppError } from '../../errors.js';
import { MAX_FIELDS, type AppDefinition } from './app-definition.js';
import { parseStoredSettings, SECURE_MASK, type PlainValue } from './installation-settings.js';
import type { InstallationRow, SecretState } from './installations.repo.js';

/** An installation with what it takes to show it: its app, and which secure settings are set since when. */
export interface InstallationDetail {
  row: InstallationRow;
  app: AppDefinition;
  secrets: readonly SecretState[];
}

/**
 * Zendesk's installation object. Secure settings that are set show as
 * {@link SECURE_MASK} in `settings` and `settings_objects`, never their value;
 * `secure_settings` says when each was last set (rotating a key sets it again).
 */
export interface InstallationView {
  id: number;
  app_id: number;
  product: string;
  settings: Record<string, PlainValue>;
  settings_objects: Array<{ name: string; value: PlainValue }>;
  secure_settings: Record<string, { set: true; set_at: string }>;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export function presentInstallation({ row, app, secrets }: InstallationDetail): InstallationView {
  const { name, ...plain } = parseStoredSettings(row.settings);
  const entries: Array<[string, PlainValue]> = [
    ['name', name ?? app.name],
    ['title', app.name],
    ...Object.entries(plain),
    ...secrets.map((secret): [string, PlainValue] => [secret.field, SECURE_MASK]),
  ];
  return {
    id: Number(row.id),
    app_id: Number(row.app_id),
    product: row.product,
    settings: Object.fromEntries(entries),
    settings_objects: entries.map(([key, value]) => ({ name: key, value })),
    secure_settings: Object.fromEntries(secrets.map((secret) => [secret.field, { set: true as const, set_at: secret.set_at }])),
    enabled: Number(row.enabled) === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export const installationViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    app_id: { type: 'integer' },
    product: { type: 'string' },
    settings: { type: 'object', additionalProperties: true },
    settings_objects: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: {} } } },
    secure_settings: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { set: { type: 'boolean' }, set_at: { type: 'string' } } },
    },
    enabled: { type: 'boolean' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
  required: ['id', 'app_id', 'product', 'settings', 'enabled', 'created_at', 'updated_at'],
} as const;

/**
 * Zendesk's `settings` object: values are checked against the app's fields
 * by the service (which says which field is wrong and why); here only its
 * size and key lengths.
 */
const settingsInputSchema = {
  type: 'object',
  maxProperties: MAX_FIELDS + 2,
  propertyNames: { type: 'string', minLength: 1, maxLength: 64 },
} as const;

/** `POST /api/v2/apps/installations`: unwrapped, as Zendesk takes it; `app_id` a number or a digit string. */
export interface CreateInstallationBody {
  app_id: unknown;
  settings?: Record<string, unknown>;
  enabled?: boolean;
}

export const createInstallationBodySchema = {
  type: 'object',
  required: ['app_id'],
  additionalProperties: false,
  properties: {
    // Any JSON here: Ajv's type coercion would turn "1e400" into Infinity or null into 0 (see readAppId).
    app_id: {},
    settings: settingsInputSchema,
    enabled: { type: 'boolean' },
  },
} as const;

/** `PUT /api/v2/apps/installations/{id}`: settings given replace, absent ones stay, `null` removes. */
export interface UpdateInstallationBody {
  settings?: Record<string, unknown>;
  enabled?: boolean;
}

export const updateInstallationBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { settings: settingsInputSchema, enabled: { type: 'boolean' } },
} as const;

const APP_ID = /^[1-9][0-9]{0,14}$/;

/** Zendesk clients send `app_id` as a number or as a string of digits; anything else is a 400. */
export function readAppId(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && APP_ID.test(value)) return Number(value);
  throw new AppError('InvalidParameters', "app_id must be an app's id: a positive integer, or a string of digits.", {
    details: { app_id: ['must be a positive integer'] },
  });
}
