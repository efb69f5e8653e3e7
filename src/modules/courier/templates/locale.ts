/** The locales every template is written in; anything else falls back to English. */
export type TemplateLocale = 'en' | 'fr';

/** `fr`, `fr-CA`, `fr_FR` → `fr`; anything that is not French → `en`. */
export function templateLocale(locale: string): TemplateLocale {
  return /^fr(?:[-_].*)?$/i.test(locale.trim()) ? 'fr' : 'en';
}

const DATE_FORMATS: Record<TemplateLocale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' }),
};
const TIME_FORMATS: Record<TemplateLocale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }),
};

/** `2016-02-01T00:00:00Z` → `1 February 2016` / `1 février 2016` (UTC); an unreadable value is shown as it is. */
export function formatDate(iso: string, locale: TemplateLocale): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : DATE_FORMATS[locale].format(time);
}

/** A date with its time, in UTC, saying so. */
export function formatDateTime(iso: string, locale: TemplateLocale): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : `${TIME_FORMATS[locale].format(time)} UTC`;
}

/** A count with the grouping of the language: 12,345 / 12 345. */
export const formatCount = (n: number, locale: TemplateLocale): string => n.toLocaleString(locale === 'fr' ? 'fr-FR' : 'en-GB');
