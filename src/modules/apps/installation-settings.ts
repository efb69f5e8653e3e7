import type { AppDefinition, AppField } from './app-definition.js';

/**
 * The rules of an installation's settings against its app's fields, shared by
 * the HTTP API and the import. Messages name the field and what to fix, and
 * never quote a value: the value may be a credential typed in the wrong place.
 */

/** Shown in place of every secure value that is set; sent back unchanged, it keeps the stored value. */
export const SECURE_MASK = '********';
export const MAX_SETTING_LENGTH = 4_096;
export const MAX_INSTALLATION_NAME = 255;
/** The stored JSON of an installation's plain settings. */
export const MAX_SETTINGS_BYTES = 32_768;

export type PlainValue = string | number | boolean;
export type PlainSettings = Record<string, PlainValue>;

export interface SettingProblem {
  /** `settings.api_token`, `secure_settings.channel`, ... */
  field: string;
  message: string;
}

export interface SecretToSet {
  field: string;
  plaintext: string;
}

/** A key of the caller's object, cut to a length that is safe to repeat in a message. */
const keyText = (key: string): string => (key.length > 64 ? `${key.slice(0, 64)}…` : key);

const fieldsOf = (app: AppDefinition): Map<string, AppField> => new Map(app.fields.map((field) => [field.name, field]));

function settingNames(app: AppDefinition, secure: boolean | undefined): string {
  const names = app.fields.filter((field) => secure === undefined || field.secure === secure).map((field) => field.name);
  return names.length === 0 ? 'none' : names.join(', ');
}

function unknownSetting(app: AppDefinition, path: string, key: string): SettingProblem {
  return {
    field: `${path}.${keyText(key)}`,
    message: `is not a setting of app ${app.name}; its settings are ${settingNames(app, undefined)} (and name)`,
  };
}

/** Why `value` does not fit a plain (not secure) field; undefined when it does. */
function plainValueProblem(field: AppField, value: unknown): string | undefined {
  switch (field.type) {
    case 'checkbox':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'url':
      if (typeof value !== 'string' || value.length > MAX_SETTING_LENGTH)
        return `must be a URL of at most ${MAX_SETTING_LENGTH} characters`;
      return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) ? undefined : 'must be an http or https URL';
    default:
      return typeof value === 'string' && value.length <= MAX_SETTING_LENGTH
        ? undefined
        : `must be a string of at most ${MAX_SETTING_LENGTH} characters`;
  }
}

/** Why `value` cannot be a secure value; undefined when it can. */
function secureValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is a secure setting: its value must be a string';
  if (value.trim() === '') return 'must not be empty; send null to remove it';
  if (value.length > MAX_SETTING_LENGTH) return `must be at most ${MAX_SETTING_LENGTH} characters`;
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  return undefined;
}

function nameProblem(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_INSTALLATION_NAME
    ? undefined
    : `must be a non-empty string of at most ${MAX_INSTALLATION_NAME} characters`;
}

function sizeProblem(plain: PlainSettings): SettingProblem[] {
  return Buffer.byteLength(JSON.stringify(plain), 'utf8') > MAX_SETTINGS_BYTES
    ? [{ field: 'settings', message: `are too large: at most ${MAX_SETTINGS_BYTES} bytes of settings besides the secure ones` }]
    : [];
}

/** What a create or an update does to an installation's settings. */
export interface SettingsPlan {
  /** The plain settings after the change, whole. */
  plain: PlainSettings;
  /** Names of plain settings given (set or removed). */
  plainChanged: string[];
  secretsToSet: SecretToSet[];
  /** Secure fields to remove (they were set; the caller sent null). */
  secretsToClear: string[];
}

export interface CurrentSettings {
  plain: PlainSettings;
  secretsSet: ReadonlySet<string>;
}

/**
 * Applies Zendesk's `settings` object of a create (`current` undefined) or an
 * update (keys given replace, keys absent stay; `null` removes) to an
 * installation of `app`. Secure fields come in `settings` too, as in Zendesk;
 * the mask sent back keeps the stored value, a new value rotates it.
 *
 * @example
 * const result = planSettings(slack, { channel: '#help', api_token: 'xoxb-...' });
 * if (result.ok) result.plan.secretsToSet; // [{ field: 'api_token', plaintext: 'xoxb-...' }]
 */
export function planSettings(
  app: AppDefinition,
  input: Readonly<Record<string, unknown>>,
  current?: CurrentSettings,
): { ok: true; plan: SettingsPlan } | { ok: false; problems: SettingProblem[] } {
  const draft: PlanDraft = {
    app,
    fields: fieldsOf(app),
    secretsSet: current?.secretsSet ?? new Set(),
    plain: new Map<string, PlainValue>(Object.entries(current?.plain ?? {})),
    plainChanged: [],
    secretsToSet: [],
    secretsToClear: [],
    problems: [],
  };
  for (const [key, value] of Object.entries(input)) applySetting(draft, key, value);
  requireFields(draft);
  const plain: PlainSettings = Object.fromEntries<PlainValue>(draft.plain);
  const problems = [...draft.problems, ...sizeProblem(plain)];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    plan: { plain, plainChanged: draft.plainChanged, secretsToSet: draft.secretsToSet, secretsToClear: draft.secretsToClear },
  };
}

/** A plan being built, one given setting at a time. */
interface PlanDraft {
  app: AppDefinition;
  fields: ReadonlyMap<string, AppField>;
  secretsSet: ReadonlySet<string>;
  plain: Map<string, PlainValue>;
  plainChanged: string[];
  secretsToSet: SecretToSet[];
  secretsToClear: string[];
  problems: SettingProblem[];
}

function applySetting(draft: PlanDraft, key: string, value: unknown): void {
  const problem = (message: string): void => {
    draft.problems.push({ field: `settings.${keyText(key)}`, message });
  };
  const field = draft.fields.get(key);
  if (key === 'title') {
    // Zendesk shows the app's name here; a client sending back what it read changes nothing.
    if (value !== draft.app.name && value !== null)
      problem(`is the app's name (${draft.app.name}) and cannot be changed; set name instead`);
  } else if (key === 'name' || (field !== undefined && !field.secure)) {
    draft.plainChanged.push(key);
    const wrong = value === null ? undefined : field === undefined ? nameProblem(value) : plainValueProblem(field, value);
    if (wrong !== undefined) problem(wrong);
    else if (value === null) draft.plain.delete(key);
    else draft.plain.set(key, value as PlainValue);
  } else if (field === undefined) {
    draft.problems.push(unknownSetting(draft.app, 'settings', key));
  } else if (value === null) {
    if (draft.secretsSet.has(key)) draft.secretsToClear.push(key);
  } else if (value === SECURE_MASK) {
    if (!draft.secretsSet.has(key)) problem('holds the mask shown in place of a secure value; send the value itself');
  } else {
    const wrong = secureValueProblem(value);
    if (wrong === undefined) draft.secretsToSet.push({ field: key, plaintext: value as string });
    else problem(wrong);
  }
}

/** Every required field must hold a value after the change (unless it already has a problem of its own). */
function requireFields(draft: PlanDraft): void {
  for (const field of draft.app.fields) {
    if (!field.required || draft.problems.some((p) => p.field === `settings.${field.name}`)) continue;
    const present = field.secure
      ? draft.secretsToSet.some((secret) => secret.field === field.name) ||
        (draft.secretsSet.has(field.name) && !draft.secretsToClear.includes(field.name))
      : draft.plain.has(field.name);
    if (!present)
      draft.problems.push({
        field: `settings.${field.name}`,
        message: field.secure ? 'is required (a secure setting); send its value' : 'is required',
      });
  }
}

/**
 * The `settings` and `secure_settings` of an imported installation line.
 * Imported history is taken as it was: required fields may be missing, but
 * every key must be a field of the app, in the right object, with a value of
 * its type.
 */
export function checkImportedSettings(
  app: AppDefinition,
  settings: unknown,
  secureSettings: unknown,
): { ok: true; plain: PlainSettings; secrets: SecretToSet[] } | { ok: false; problems: SettingProblem[] } {
  const fields = fieldsOf(app);
  const problems: SettingProblem[] = [];
  const plain = new Map<string, PlainValue>();
  const secrets: SecretToSet[] = [];
  const objectOf = (value: unknown, path: string): Record<string, unknown> => {
    if (value === undefined || value === null) return {};
    if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    problems.push({ field: path, message: 'must be a JSON object of setting names and values' });
    return {};
  };

  for (const [key, value] of Object.entries(objectOf(settings, 'settings'))) {
    const path = `settings.${keyText(key)}`;
    if (key === 'title') continue;
    if (key === 'name') {
      const wrong = nameProblem(value);
      if (wrong === undefined) plain.set(key, value as string);
      else problems.push({ field: path, message: wrong });
      continue;
    }
    const field = fields.get(key);
    if (field === undefined) problems.push(unknownSetting(app, 'settings', key));
    else if (field.secure)
      problems.push({
        field: path,
        message: `is a secure setting of app ${app.name}: give it under secure_settings, where it is encrypted`,
      });
    else if (value !== null) {
      const wrong = plainValueProblem(field, value);
      if (wrong === undefined) plain.set(key, value as PlainValue);
      else problems.push({ field: path, message: wrong });
    }
  }

  for (const [key, value] of Object.entries(objectOf(secureSettings, 'secure_settings'))) {
    const path = `secure_settings.${keyText(key)}`;
    const field = fields.get(key);
    if (field === undefined)
      problems.push({
        field: path,
        message: `is not a secure setting of app ${app.name}; its secure settings are ${settingNames(app, true)}`,
      });
    else if (!field.secure) problems.push({ field: path, message: `is not a secure setting of app ${app.name}: give it under settings` });
    else if (value !== null) {
      const wrong = secureValueProblem(value);
      if (wrong === undefined) secrets.push({ field: key, plaintext: value as string });
      else problems.push({ field: path, message: wrong });
    }
  }
  const plainSettings: PlainSettings = Object.fromEntries<PlainValue>(plain);
  problems.push(...sizeProblem(plainSettings));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, plain: plainSettings, secrets };
}

/** Reads stored plain settings (JSON written by this module) back. */
export function parseStoredSettings(json: string): PlainSettings {
  const value: unknown = JSON.parse(json);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as PlainSettings) : {};
}
