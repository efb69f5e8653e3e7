import type { Queryable } from '../../db/database.js';
import { nearestAdvisoryLocale } from './advisory-locales.js';
import { findPublishedAdvisoryForIncident } from './advisories.repo.js';

/** The public page of an advisory in one locale (server-relative). */
export function advisoryPagePath(advisoryId: number, locale: string): string {
  return `/hc/${locale}/articles/${advisoryId}`;
}

/**
 * The public path of an incident's published advisory, in the requested locale
 * when it has a translation (`fr-CA` counts as `fr`), else in its source locale;
 * null when the incident has no published advisory.
 *
 * @example
 * await publishedAdvisoryPathForIncident(db, 1, 'fr'); // '/hc/fr/articles/1'
 */
export async function publishedAdvisoryPathForIncident(db: Queryable, incidentId: number, locale: string): Promise<string | null> {
  const advisory = await findPublishedAdvisoryForIncident(db, incidentId);
  if (advisory === undefined) return null;
  const wanted = nearestAdvisoryLocale(locale);
  const chosen = wanted !== undefined && advisory.locales.includes(wanted) ? wanted : advisory.sourceLocale;
  return advisoryPagePath(advisory.id, chosen);
}
