import type { AdvisoryLocale } from './advisory-locales.js';

export const ADVISORY_STATES = ['draft', 'published'] as const;
export type AdvisoryState = (typeof ADVISORY_STATES)[number];

export const MAX_ADVISORY_TITLE = 200;
/** Markdown of an article body, in characters. */
export const MAX_ADVISORY_BODY = 100_000;
/** Markdown of one update, in characters. */
export const MAX_UPDATE_BODY = 20_000;

/** One locale of an advisory at its newest revision. */
export interface AdvisoryTranslation {
  locale: string;
  title: string;
  /** Markdown. */
  body: string;
  revision: number;
  /** The source revision this translation was last edited from; the source's own revision for the source. */
  sourceRevision: number;
  isSource: boolean;
  machineTranslated: boolean;
  /** The source has a newer revision than the one this translation was edited from. */
  outdated: boolean;
  createdAt: string;
  editedAt: string;
}

/** One saved version of one locale; never changed once written. */
export interface AdvisoryRevision {
  locale: string;
  revision: number;
  sourceRevision: number;
  machineTranslated: boolean;
  title: string;
  body: string;
  createdAt: string;
  actor: string;
}

export interface AdvisoryUpdateBody {
  locale: string;
  /** Markdown. */
  body: string;
  isSource: boolean;
  machineTranslated: boolean;
  createdAt: string;
}

/** A dated update: appended, never rewritten; translations of it are added, never replaced. */
export interface AdvisoryUpdate {
  seq: number;
  postedAt: string;
  actor: string;
  bodies: AdvisoryUpdateBody[];
}

export interface AdvisorySummary {
  id: number;
  incidentId: number | null;
  sourceLocale: string;
  state: AdvisoryState;
  /** The source locale's title. */
  title: string;
  locales: string[];
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  /** Public page paths by locale (they answer 404 while the advisory is a draft). */
  pages: Record<string, string>;
}

export interface AdvisoryDetails extends AdvisorySummary {
  translations: AdvisoryTranslation[];
  updates: AdvisoryUpdate[];
  revisions: AdvisoryRevision[];
}

/** What the public routes render: a published advisory seen from one locale. */
export interface PublicArticle {
  id: number;
  locale: AdvisoryLocale;
  sourceLocale: string;
  translation: AdvisoryTranslation;
  /** Every locale the advisory is published in, source first. */
  translations: AdvisoryTranslation[];
  /** Newest first; each with the body in the reader's locale when there is one, else the source's. */
  updates: Array<{ seq: number; postedAt: string; body: AdvisoryUpdateBody }>;
  createdAt: string;
  updatedAt: string;
  publishedAt: string;
}
