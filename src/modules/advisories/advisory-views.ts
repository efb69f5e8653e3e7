import { advisoryPagePath } from './advisory-links.js';
import type {
  AdvisoryDetails,
  AdvisoryRevision,
  AdvisorySummary,
  AdvisoryTranslation,
  AdvisoryUpdate,
  AdvisoryUpdateBody,
} from './advisory.model.js';
import type {
  AdvisoryRevisionRow,
  AdvisoryRow,
  AdvisoryTranslationRow,
  AdvisoryUpdateBodyRow,
  AdvisoryUpdateRow,
} from './advisories.repo.js';

/** Source first, then the others by locale. */
export function sourceFirst<T extends { locale: string }>(items: readonly T[], sourceLocale: string): T[] {
  return [...items].sort((a, b) => (a.locale === sourceLocale ? -1 : b.locale === sourceLocale ? 1 : a.locale.localeCompare(b.locale)));
}

/**
 * A translation is outdated when the source has moved past the revision it
 * was last edited from; the source itself never is.
 */
export function translationOf(row: AdvisoryTranslationRow, source: AdvisoryTranslationRow | undefined): AdvisoryTranslation {
  const isSource = source !== undefined && row.locale === source.locale;
  return {
    locale: row.locale,
    title: row.title,
    body: row.body,
    revision: Number(row.revision),
    sourceRevision: Number(row.source_revision),
    isSource,
    machineTranslated: row.machine_translated === 1,
    outdated: !isSource && source !== undefined && Number(row.source_revision) < Number(source.revision),
    createdAt: row.created_at,
    editedAt: row.edited_at,
  };
}

export function translationsOf(advisory: AdvisoryRow, rows: readonly AdvisoryTranslationRow[]): AdvisoryTranslation[] {
  const source = rows.find((row) => row.locale === advisory.source_locale);
  return sourceFirst(
    rows.map((row) => translationOf(row, source)),
    advisory.source_locale,
  );
}

export const revisionOf = (row: AdvisoryRevisionRow): AdvisoryRevision => ({
  locale: row.locale,
  revision: Number(row.revision),
  sourceRevision: Number(row.source_revision),
  machineTranslated: row.machine_translated === 1,
  title: row.title,
  body: row.body,
  createdAt: row.created_at,
  actor: row.actor,
});

export const updateBodyOf = (row: AdvisoryUpdateBodyRow, sourceLocale: string): AdvisoryUpdateBody => ({
  locale: row.locale,
  body: row.body,
  isSource: row.locale === sourceLocale,
  machineTranslated: row.machine_translated === 1,
  createdAt: row.created_at,
});

export function updatesOf(
  advisory: AdvisoryRow,
  updates: readonly AdvisoryUpdateRow[],
  bodies: readonly AdvisoryUpdateBodyRow[],
): AdvisoryUpdate[] {
  return updates.map((update) => ({
    seq: Number(update.seq),
    postedAt: update.posted_at,
    actor: update.actor,
    bodies: sourceFirst(
      bodies.filter((body) => Number(body.seq) === Number(update.seq)).map((body) => updateBodyOf(body, advisory.source_locale)),
      advisory.source_locale,
    ),
  }));
}

export function summaryOf(advisory: AdvisoryRow, translations: readonly AdvisoryTranslationRow[]): AdvisorySummary {
  const locales = sourceFirst(translations, advisory.source_locale).map((row) => row.locale);
  return {
    id: Number(advisory.id),
    incidentId: advisory.incident_id === null ? null : Number(advisory.incident_id),
    sourceLocale: advisory.source_locale,
    state: advisory.state,
    title: translations.find((row) => row.locale === advisory.source_locale)?.title ?? '',
    locales,
    createdAt: advisory.created_at,
    updatedAt: advisory.updated_at,
    publishedAt: advisory.published_at,
    pages: Object.fromEntries(locales.map((locale) => [locale, advisoryPagePath(Number(advisory.id), locale)])),
  };
}

export function detailsOf(
  advisory: AdvisoryRow,
  rows: {
    translations: readonly AdvisoryTranslationRow[];
    revisions: readonly AdvisoryRevisionRow[];
    updates: readonly AdvisoryUpdateRow[];
    bodies: readonly AdvisoryUpdateBodyRow[];
  },
): AdvisoryDetails {
  return {
    ...summaryOf(advisory, rows.translations),
    translations: translationsOf(advisory, rows.translations),
    updates: updatesOf(advisory, rows.updates, rows.bodies),
    revisions: rows.revisions.map(revisionOf),
  };
}
