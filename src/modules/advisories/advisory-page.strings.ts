import type { AdvisoryLocale } from './advisory-locales.js';

/** The words of the public advisory pages and feed, per locale. */
export interface AdvisoryPageStrings {
  /** The pages' heading and the feed's author, by the configured vendor name (`RIPOSTE_VENDOR_NAME`). */
  siteName: (vendor: string) => string;
  skipLink: string;
  languagesLabel: string;
  published: string;
  edited: string;
  /** The source language's name inside a sentence of this locale. */
  languageInSentence: Record<string, string>;
  machineNotice: (language: string, link: string) => string;
  outdatedNotice: (language: string, link: string) => string;
  readOriginal: string;
  updates: string;
  noUpdates: string;
  updateNotTranslated: (language: string) => string;
  updateMachineTranslated: string;
  feedLink: string;
  jsonLink: string;
  updateTitle: (date: string) => string;
  notFoundTitle: string;
  availableIn: string;
}

/** Language names as their speakers write them, for the language switcher. */
export const ENDONYMS: Record<string, string> = { en: 'English', fr: 'Français' };

export const PAGE_STRINGS: Record<AdvisoryLocale, AdvisoryPageStrings> = {
  en: {
    siteName: (vendor) => `${vendor} security advisories`,
    skipLink: 'Skip to the advisory',
    languagesLabel: 'Languages',
    published: 'Published',
    edited: 'last edited',
    languageInSentence: { en: 'English', fr: 'French' },
    machineNotice: (language, link) => `This page was translated by machine. The ${language} original is authoritative: ${link}.`,
    outdatedNotice: (language, link) => `The ${language} original has changed since this translation was last edited: ${link}.`,
    readOriginal: 'read the original',
    updates: 'Updates',
    noUpdates: 'No updates yet.',
    updateNotTranslated: (language) => `This update is not translated yet; here it is in ${language}.`,
    updateMachineTranslated: 'Translated by machine.',
    feedLink: 'Follow the updates (Atom feed)',
    jsonLink: 'This article as JSON',
    updateTitle: (date) => `Update of ${date}`,
    notFoundTitle: 'Advisory not found',
    availableIn: 'This advisory is available in:',
  },
  fr: {
    siteName: (vendor) => `Avis de sécurité ${vendor}`,
    skipLink: 'Aller à l’avis',
    languagesLabel: 'Langues',
    published: 'Publié le',
    edited: 'modifié le',
    languageInSentence: { en: 'anglais', fr: 'français' },
    machineNotice: (language, link) => `Cette page a été traduite automatiquement. L’original en ${language} fait foi\u00a0: ${link}.`,
    outdatedNotice: (language, link) =>
      `L’original en ${language} a changé depuis la dernière modification de cette traduction\u00a0: ${link}.`,
    readOriginal: 'lire l’original',
    updates: 'Mises à jour',
    noUpdates: 'Aucune mise à jour pour le moment.',
    updateNotTranslated: (language) => `Cette mise à jour n’est pas encore traduite\u00a0; la voici en ${language}.`,
    updateMachineTranslated: 'Traduite automatiquement.',
    feedLink: 'Suivre les mises à jour (flux Atom)',
    jsonLink: 'Cet article en JSON',
    updateTitle: (date) => `Mise à jour du ${date}`,
    notFoundTitle: 'Avis introuvable',
    availableIn: 'Cet avis existe en\u00a0:',
  },
};

/** A date and time for people, in UTC so every reader sees the same one: "29 November 2026 at 00:31 UTC". */
export function humanDate(iso: string, locale: AdvisoryLocale): string {
  const formatted = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(new Date(iso));
  return `${formatted} UTC`;
}
