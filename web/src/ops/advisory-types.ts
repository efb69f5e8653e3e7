export interface AdvisoryTranslation {
  locale: string;
  title: string;
  body: string;
  revision: number;
  isSource: boolean;
  machineTranslated: boolean;
  outdated: boolean;
  editedAt: string;
}

export interface AdvisoryUpdate {
  seq: number;
  postedAt: string;
  bodies: Array<{ locale: string; body: string; isSource: boolean; machineTranslated: boolean }>;
}

export interface Advisory {
  id: number;
  incidentId: number | null;
  sourceLocale: string;
  state: 'draft' | 'published';
  title: string;
  locales: string[];
  publishedAt: string | null;
  pages: Record<string, string>;
  translations?: AdvisoryTranslation[];
  updates?: AdvisoryUpdate[];
  revisions?: unknown[];
}

export const ADVISORY_LOCALES = ['en', 'fr'] as const;
