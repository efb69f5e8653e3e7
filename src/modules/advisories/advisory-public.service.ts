import { AppError, notFound } from '../../errors.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireAdvisoryLocale } from './advisory-locales.js';
import type { PublicArticle } from './advisory.model.js';
import { translationsOf, updateBodyOf } from './advisory-views.js';
import { findAdvisory, listTranslations, listUpdateBodies, listUpdates } from './advisories.repo.js';

/** Thrown for an article in a locale it is not written in; carries the locales it is. */
export class MissingTranslationError extends AppError {
  readonly availableLocales: string[];
  constructor(id: number, locale: string, availableLocales: string[]) {
    super('RecordNotFound', `Article ${id} is not available in ${locale}; read it in: ${availableLocales.join(', ')}.`, {
      details: { available_locales: availableLocales },
    });
    this.availableLocales = availableLocales;
  }
}

/**
 * A published advisory as the public reads it in `locale`. Drafts and unknown
 * ids are the same 404; an unknown locale is a 404 naming those that exist,
 * and a locale the article lacks is a 404 naming the ones it has.
 */
export async function readPublicArticle(deps: Pick<ServiceDeps, 'db'>, id: number, localeParam: string): Promise<PublicArticle> {
  const locale = requireAdvisoryLocale(localeParam);
  const advisory = await findAdvisory(deps.db, id);
  if (advisory === undefined || advisory.state !== 'published' || advisory.published_at === null) throw notFound(`Article ${id}`);
  const [translationRows, updates, bodies] = await Promise.all([
    listTranslations(deps.db, [advisory.id]),
    listUpdates(deps.db, advisory.id),
    listUpdateBodies(deps.db, advisory.id),
  ]);
  const translations = translationsOf(advisory, translationRows);
  const translation = translations.find((candidate) => candidate.locale === locale);
  if (translation === undefined)
    throw new MissingTranslationError(
      advisory.id,
      locale,
      translations.map((candidate) => candidate.locale),
    );
  const publicUpdates = updates.flatMap((update) => {
    const own = bodies.filter((body) => Number(body.seq) === Number(update.seq));
    const chosen = own.find((body) => body.locale === locale) ?? own.find((body) => body.locale === advisory.source_locale);
    return chosen === undefined
      ? []
      : [{ seq: Number(update.seq), postedAt: update.posted_at, body: updateBodyOf(chosen, advisory.source_locale) }];
  });
  publicUpdates.sort((a, b) => (a.postedAt === b.postedAt ? b.seq - a.seq : a.postedAt < b.postedAt ? 1 : -1));
  return {
    id: Number(advisory.id),
    locale,
    sourceLocale: advisory.source_locale,
    translation,
    translations,
    updates: publicUpdates,
    createdAt: advisory.created_at,
    updatedAt: advisory.updated_at,
    publishedAt: advisory.published_at,
  };
}
