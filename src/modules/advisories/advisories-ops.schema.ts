import { AppError } from '../../errors.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import { ADVISORY_LOCALES, isAdvisoryLocale, type AdvisoryLocale } from './advisory-locales.js';
import {
  ADVISORY_STATES,
  type AdvisoryDetails,
  type AdvisoryRevision,
  type AdvisorySummary,
  type AdvisoryTranslation,
  type AdvisoryUpdate,
  type AdvisoryUpdateBody,
} from './advisory.model.js';

const localeWire = { type: 'string', enum: ADVISORY_LOCALES } as const;
export type AdvisoryLocaleWire = FromSchema<typeof localeWire>;

/** One locale of an advisory at its newest revision. */
export const advisoryTranslationWireSchema = closedObject({
  locale: localeWire,
  title: wire.string,
  /** Markdown. */
  body: wire.string,
  revision: wire.integer,
  /** The source revision this translation was last edited from; the source's own revision for the source. */
  source_revision: wire.integer,
  is_source: wire.boolean,
  machine_translated: wire.boolean,
  /** The source has a newer revision than the one this translation was edited from. */
  outdated: wire.boolean,
  created_at: wire.string,
  edited_at: wire.string,
});
export type AdvisoryTranslationWire = FromSchema<typeof advisoryTranslationWireSchema>;

/** One saved version of one locale; never changed once written. */
export const advisoryRevisionWireSchema = closedObject({
  locale: localeWire,
  revision: wire.integer,
  source_revision: wire.integer,
  machine_translated: wire.boolean,
  title: wire.string,
  body: wire.string,
  created_at: wire.string,
  /** Who saved it: `cli`, `staff:3`. */
  actor: wire.string,
});
export type AdvisoryRevisionWire = FromSchema<typeof advisoryRevisionWireSchema>;

export const advisoryUpdateBodyWireSchema = closedObject({
  locale: localeWire,
  /** Markdown. */
  body: wire.string,
  is_source: wire.boolean,
  machine_translated: wire.boolean,
  created_at: wire.string,
});
export type AdvisoryUpdateBodyWire = FromSchema<typeof advisoryUpdateBodyWireSchema>;

/** A dated update: appended, never rewritten; its texts in each locale, source first. */
export const advisoryUpdateWireSchema = closedObject({
  seq: wire.integer,
  posted_at: wire.string,
  actor: wire.string,
  bodies: { type: 'array', items: advisoryUpdateBodyWireSchema },
});
export type AdvisoryUpdateWire = FromSchema<typeof advisoryUpdateWireSchema>;

/** Public page paths by locale (they answer 404 while the advisory is a draft): only the locales the advisory has. */
const pagesWireSchema = closedObject(
  Object.fromEntries(ADVISORY_LOCALES.map((locale) => [locale, wire.string])) as { [L in AdvisoryLocale]: typeof wire.string },
  ADVISORY_LOCALES,
);

const summaryProperties = {
  id: wire.integer,
  incident_id: wire.nullableInteger,
  source_locale: localeWire,
  state: { type: 'string', enum: ADVISORY_STATES },
  /** The source locale's title. */
  title: wire.string,
  /** Source first. */
  locales: { type: 'array', items: localeWire },
  created_at: wire.string,
  updated_at: wire.string,
  published_at: wire.nullableString,
  pages: pagesWireSchema,
} as const;

/** An advisory as the list shows it. */
export const advisorySummaryWireSchema = closedObject(summaryProperties);
export type AdvisorySummaryWire = FromSchema<typeof advisorySummaryWireSchema>;

/** An advisory with its translations (source first), its updates (oldest first) and every revision. */
export const advisoryDetailsWireSchema = closedObject({
  ...summaryProperties,
  translations: { type: 'array', items: advisoryTranslationWireSchema },
  updates: { type: 'array', items: advisoryUpdateWireSchema },
  revisions: { type: 'array', items: advisoryRevisionWireSchema },
});
export type AdvisoryDetailsWire = FromSchema<typeof advisoryDetailsWireSchema>;

/** The answers of the advisory routes. */
export const advisoryListAnswerSchema = closedObject({ advisories: { type: 'array', items: advisorySummaryWireSchema } });
export type AdvisoryListAnswer = FromSchema<typeof advisoryListAnswerSchema>;
export const advisoryAnswerSchema = closedObject({ advisory: advisoryDetailsWireSchema });
export type AdvisoryAnswer = FromSchema<typeof advisoryAnswerSchema>;
export const advisoryTranslationAnswerSchema = closedObject({ translation: advisoryTranslationWireSchema });
export type AdvisoryTranslationAnswer = FromSchema<typeof advisoryTranslationAnswerSchema>;
export const advisoryUpdateAnswerSchema = closedObject({ update: advisoryUpdateWireSchema });
export type AdvisoryUpdateAnswer = FromSchema<typeof advisoryUpdateAnswerSchema>;
export const advisoryRevisionsAnswerSchema = closedObject({ revisions: { type: 'array', items: advisoryRevisionWireSchema } });
export type AdvisoryRevisionsAnswer = FromSchema<typeof advisoryRevisionsAnswerSchema>;
/** `POST /ops/v1/advisories/preview`: the markdown rendered as the public page renders it. */
export const advisoryPreviewAnswerSchema = closedObject({ html: wire.string });
export type AdvisoryPreviewAnswer = FromSchema<typeof advisoryPreviewAnswerSchema>;

/** Every locale is checked when it is written (`localeField`), so one read back is an advisory locale. */
function storedLocale(locale: string): AdvisoryLocaleWire {
  if (isAdvisoryLocale(locale)) return locale;
  throw new AppError('InternalError', `An advisory holds text in locale "${locale}", which is not one of ${ADVISORY_LOCALES.join(', ')}.`);
}

export const presentAdvisoryTranslation = (translation: AdvisoryTranslation): AdvisoryTranslationWire => ({
  locale: storedLocale(translation.locale),
  title: translation.title,
  body: translation.body,
  revision: translation.revision,
  source_revision: translation.sourceRevision,
  is_source: translation.isSource,
  machine_translated: translation.machineTranslated,
  outdated: translation.outdated,
  created_at: translation.createdAt,
  edited_at: translation.editedAt,
});

export const presentAdvisoryRevision = (revision: AdvisoryRevision): AdvisoryRevisionWire => ({
  locale: storedLocale(revision.locale),
  revision: revision.revision,
  source_revision: revision.sourceRevision,
  machine_translated: revision.machineTranslated,
  title: revision.title,
  body: revision.body,
  created_at: revision.createdAt,
  actor: revision.actor,
});

const presentUpdateBody = (body: AdvisoryUpdateBody): AdvisoryUpdateBodyWire => ({
  locale: storedLocale(body.locale),
  body: body.body,
  is_source: body.isSource,
  machine_translated: body.machineTranslated,
  created_at: body.createdAt,
});

export const presentAdvisoryUpdate = (update: AdvisoryUpdate): AdvisoryUpdateWire => ({
  seq: update.seq,
  posted_at: update.postedAt,
  actor: update.actor,
  bodies: update.bodies.map(presentUpdateBody),
});

export const presentAdvisorySummary = (advisory: AdvisorySummary): AdvisorySummaryWire => ({
  id: advisory.id,
  incident_id: advisory.incidentId,
  source_locale: storedLocale(advisory.sourceLocale),
  state: advisory.state,
  title: advisory.title,
  locales: advisory.locales.map(storedLocale),
  created_at: advisory.createdAt,
  updated_at: advisory.updatedAt,
  published_at: advisory.publishedAt,
  pages: Object.fromEntries(Object.entries(advisory.pages).map(([locale, path]) => [storedLocale(locale), path])),
});

export const presentAdvisoryDetails = (advisory: AdvisoryDetails): AdvisoryDetailsWire => ({
  ...presentAdvisorySummary(advisory),
  translations: advisory.translations.map(presentAdvisoryTranslation),
  updates: advisory.updates.map(presentAdvisoryUpdate),
  revisions: advisory.revisions.map(presentAdvisoryRevision),
});
