import { invalid } from '../../errors.js';
import { EXPOSURE_CATEGORIES, type ExposureCategory } from './exposure-categories.js';
import type { Selector } from './selectors/selector.model.js';
import type { HashTierCounts } from '../auth/passwords/hash-strength.js';

export { EXPOSURE_CATEGORIES, type ExposureCategory };

/**
 * User-level categories count people and, as records, the users matched;
 * account-level ones count no people and take their records from an
 * inventory: installations with stale secrets (`app_secrets`), exposed
 * certificates (`tls_keys`).
 */

export const ACCOUNT_LEVEL_CATEGORIES: readonly ExposureCategory[] = ['tls_keys', 'app_secrets'];
export const isAccountLevelCategory = (category: ExposureCategory): boolean => ACCOUNT_LEVEL_CATEGORIES.includes(category);

export const isExposureCategory = (value: unknown): value is ExposureCategory =>
  typeof value === 'string' && (EXPOSURE_CATEGORIES as readonly string[]).includes(value);

/** Account ids in one imported list: each is one bound parameter of the scope query. */
export const MAX_LISTED_ACCOUNTS = 10_000;

export type ExposureTarget = { kind: 'selector'; selector: Selector } | { kind: 'accounts'; accountIds: number[] };

export interface Exposure {
  id: number;
  category: ExposureCategory;
  target: ExposureTarget;
  addedAt: string;
  removedAt: string | null;
}

/** One line of an imported account list: an id or a subdomain, with its line number for messages. */
export type AccountReference = { line: number; accountId: number } | { line: number; subdomain: string };

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function reference(line: number, raw: string): AccountReference {
  const value = raw.trim();
  if (/^[1-9]\d{0,15}$/.test(value)) return { line, accountId: Number(value) };
  const subdomain = value.toLowerCase();
  if (SUBDOMAIN.test(subdomain)) return { line, subdomain };
  throw invalid(`Line ${line}: "${value.slice(0, 60)}" is neither an account id nor a subdomain.`, {
    [`line ${line}`]: ['is not an account'],
  });
}

function csvReferences(text: string): AccountReference[] {
  const references: AccountReference[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    // One column: an id or a subdomain; a trailing comma or quotes from a spreadsheet are tolerated.
    const value = (raw.split(',')[0] ?? '').trim().replace(/^"(.*)"$/, '$1');
    if (value === '') return;
    if (line === 1 && /^(account_id|account|id|subdomain)$/i.test(value)) return;
    references.push(reference(line, value));
  });
  return references;
}

function jsonlReferences(text: string): AccountReference[] {
  const references: AccountReference[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid(`Line ${line} is not JSON; write {"account_id": N} or {"subdomain": "..."}.`, { [`line ${line}`]: ['is not JSON'] });
    }
    const keys = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
    const object = parsed as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === 'account_id' && typeof object.account_id === 'number') {
      return references.push(reference(line, String(object.account_id)));
    }
    if (keys.length === 1 && keys[0] === 'subdomain' && typeof object.subdomain === 'string') {
      return references.push(reference(line, object.subdomain));
    }
    throw invalid(`Line ${line} must be {"account_id": N} or {"subdomain": "..."} and nothing else.`, {
      [`line ${line}`]: ['is not an account reference'],
    });
  });
  return references;
}

/**
 * Parses an account list from forensics: CSV (one id or subdomain a line,
 * header optional) or JSONL (`{"account_id": N}` or `{"subdomain": "..."}`),
 * chosen by the file name. A bad line is a 422 naming it.
 *
 * @example
 * parseAccountList('account_id\n7\nacme\n', 'affected.csv');
 * // [{ line: 2, accountId: 7 }, { line: 3, subdomain: 'acme' }]
 */
export function parseAccountList(text: string, fileName: string): AccountReference[] {
  const references = /\.jsonl?$/i.test(fileName) ? jsonlReferences(text) : csvReferences(text);
  if (references.length === 0) throw invalid(`${fileName} lists no accounts.`, { accounts: ['is empty'] });
  if (references.length > MAX_LISTED_ACCOUNTS)
    throw invalid(`${fileName} lists ${references.length} accounts; a list holds at most ${MAX_LISTED_ACCOUNTS}, so split it.`, {
      accounts: ['is too long'],
    });
  return references;
}

export interface ScopeAccount {
  subdomain: string;
  accountId: number;
  categories: ExposureCategory[];
  /** Distinct people matched by the user-level categories. */
  people: number;
  peopleByRole: { agents: number; endUsers: number };
  /** Approximate number of records per category. */
  records: Partial<Record<ExposureCategory, number>>;
  /** Exposed password credentials per hash tier; null when `password_hashes` is not exposed for the account (or the snapshot predates tiers). */
  hashTiers: HashTierCounts | null;
}

export interface ScopeSnapshot {
  incidentId: number;
  version: number;
  createdAt: string;
  reason: string;
  accounts: ScopeAccount[];
  totals: {
    accounts: number;
    people: number;
    peopleByRole: { agents: number; endUsers: number };
    records: Partial<Record<ExposureCategory, number>>;
    /** Summed over the accounts that have them; null when none does. */
    hashTiers: HashTierCounts | null;
  };
}

export interface ScopeComparison {
  incidentId: number;
  from: number;
  to: number;
  accountsAdded: string[];
  accountsRemoved: string[];
  categoriesChanged: Array<{ subdomain: string; added: ExposureCategory[]; removed: ExposureCategory[] }>;
}
