import { AppError } from '../../errors.js';

/** The locales an advisory may be written and read in; the first is the default source. */
export const ADVISORY_LOCALES = ['en', 'fr'] as const;
export type AdvisoryLocale = (typeof ADVISORY_LOCALES)[number];

export function isAdvisoryLocale(value: string): value is AdvisoryLocale {
  return (ADVISORY_LOCALES as readonly string[]).includes(value);
}

/** The advisory locale nearest to an account or browser locale (`fr-CA` → `fr`), if any. */
export function nearestAdvisoryLocale(value: string): AdvisoryLocale | undefined {
  const lowered = value.toLowerCase();
  if (isAdvisoryLocale(lowered)) return lowered;
  const primary = lowered.split(/[-_]/)[0] ?? '';
  return isAdvisoryLocale(primary) ? primary : undefined;
}

/** Checks a locale from a URL or a request; a 404 names the ones that exist. */
export function requireAdvisoryLocale(value: string): AdvisoryLocale {
  if (isAdvisoryLocale(value)) return value;
  throw new AppError(
    'RecordNotFound',
    `No advisories are written in locale "${value}"; available locales: ${ADVISORY_LOCALES.join(', ')}.`,
  );
}
