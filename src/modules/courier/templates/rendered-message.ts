import type { TemplateLocale } from './locale.js';

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** One purpose's template: reads stored data, renders it in each language. */
export interface MessageTemplate<D> {
  read(data: unknown): D;
  render(data: D, locale: TemplateLocale): RenderedMessage;
}

export const SIGNATURE: Record<TemplateLocale, string> = {
  en: 'The Riposte security team',
  fr: 'L’équipe sécurité de Riposte',
};
