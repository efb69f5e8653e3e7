import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './en.js';
import { fr } from './fr.js';

export type Locale = 'en' | 'fr';
export const LOCALES: readonly Locale[] = ['en', 'fr'];
const MESSAGES: Record<Locale, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = 'riposte.locale';

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: Translate;
  date: (iso: string | null | undefined) => string;
  dateTime: (iso: string | null | undefined) => string;
  number: (value: number) => string;
}

const I18nContext = createContext<I18n | null>(null);

const asLocale = (value: string | null | undefined): Locale | undefined => {
  const base = value?.toLowerCase().split(/[-_]/)[0];
  return base === 'fr' || base === 'en' ? base : undefined;
};

/** The person's own choice, else the account's language, else the browser's, else English. */
export function initialLocale(accountLocale?: string | null): Locale {
  let stored: string | null;
  try {
    stored = window.localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null; // storage refused (private browsing)
  }
  return asLocale(stored) ?? asLocale(accountLocale) ?? asLocale(navigator.language) ?? 'en';
}

export function I18nProvider(props: { initial: Locale; children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(props.initial);
  useEffect(() => setLocaleState(props.initial), [props.initial]);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private browsing: the choice lasts for this page only.
    }
  }, []);
  const value = useMemo<I18n>(() => {
    const tag = locale === 'fr' ? 'fr-FR' : 'en-GB';
    const dates = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: 'UTC' });
    const dateTimes = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
    const numbers = new Intl.NumberFormat(tag);
    const format = (formatter: Intl.DateTimeFormat, iso: string | null | undefined, suffix = '') =>
      iso === null || iso === undefined || Number.isNaN(Date.parse(iso)) ? '—' : `${formatter.format(new Date(iso))}${suffix}`;
    return {
      locale,
      setLocale,
      t: (key, values) =>
        MESSAGES[locale][key].replace(/\{(\w+)\}/g, (match, name: string) => {
          const value = values?.[name];
          return value === undefined ? match : typeof value === 'number' ? numbers.format(value) : value;
        }),
      date: (iso) => format(dates, iso),
      dateTime: (iso) => format(dateTimes, iso, ' UTC'),
      number: (value) => numbers.format(value),
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{props.children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (context === null) throw new Error('useI18n outside I18nProvider');
  return context;
}

/** English and French, each named in its own language. */
export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <div className="language-switch" role="group" aria-label={t('language.label')}>
      {LOCALES.map((candidate) => (
        <button key={candidate} type="button" lang={candidate} aria-pressed={candidate === locale} onClick={() => setLocale(candidate)}>
          {candidate === 'en' ? 'English' : 'Français'}
        </button>
      ))}
    </div>
  );
}
