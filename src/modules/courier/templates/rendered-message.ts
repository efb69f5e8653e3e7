import type { VendorIdentity } from '../../../config/vendor.js';
import type { TemplateLocale } from './locale.js';

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** One purpose's template: reads stored data, renders it in each language, signed by the configured vendor. */
export interface MessageTemplate<D> {
  read(data: unknown): D;
  render(data: D, locale: TemplateLocale, vendor: VendorIdentity): RenderedMessage;
}

/** French elides "de" before a vowel: "d’Acme", "de Globex". */
const frenchOf = (name: string): string => (/^[aeiouyàâæéèêëîïôœùûü]/i.test(name) ? `d’${name}` : `de ${name}`);

/** The sign-off of every message: the vendor's security team, by the configured name. */
export function signature(vendor: Pick<VendorIdentity, 'name'>, locale: TemplateLocale): string {
  return locale === 'fr' ? `L’équipe sécurité ${frenchOf(vendor.name)}` : `The ${vendor.name} security team`;
}
