import { AppError, invalid, notFound } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import { ADVISORY_LOCALES, isAdvisoryLocale, type AdvisoryLocale } from './advisory-locales.js';
import { checkAdvisoryMarkdown } from './advisory-markdown.js';
import { touchAdvisory, type AdvisoryRow } from './advisories.repo.js';
import type { Queryable } from '../../db/database.js';

/** How revisions and updates name who wrote them: `cli`, `staff:3`. */
export const actorLabel = (actor: Actor): string =>
  actor.id === undefined || actor.id === null ? actor.type : `${actor.type}:${actor.id}`;

export function requiredText(field: string, value: string, max: number): string {
  const text = value.trim();
  if (text === '') throw invalid(`${field} must not be empty.`, { [field]: ['is empty'] });
  if (text.length > max) throw invalid(`${field} must be at most ${max} characters; it has ${text.length}.`, { [field]: ['is too long'] });
  return text;
}

/** Markdown that must be non-empty, within `max`, and render to allowed HTML. */
export function markdownBody(field: string, value: string, max: number): string {
  const body = requiredText(field, value, max);
  checkAdvisoryMarkdown(field, body);
  return body;
}

/** A locale given in a request body: unknown ones are a 422 naming those that exist. */
export function localeField(field: string, value: string): AdvisoryLocale {
  if (isAdvisoryLocale(value)) return value;
  throw invalid(`${field} "${value}" is not an advisory locale; use one of ${ADVISORY_LOCALES.join(', ')}.`, {
    [field]: ['is not an advisory locale'],
  });
}

export const advisoryNotFound = (id: number): AppError => notFound(`Advisory ${id}`);

/** Locks the advisory for the rest of the transaction and stamps `updated_at`. */
export async function lockAdvisory(
  tx: Queryable,
  id: number,
  now: string,
  changes: Partial<Pick<AdvisoryRow, 'state' | 'published_at'>> = {},
): Promise<AdvisoryRow> {
  const row = await touchAdvisory(tx, id, { ...changes, updated_at: now });
  if (row === undefined) throw advisoryNotFound(id);
  return row;
}
