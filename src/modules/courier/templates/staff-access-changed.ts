import { html, layout } from './html.js';
import { formatDateTime, type TemplateLocale } from './locale.js';
import type { VendorIdentity } from '../../../config/vendor.js';
import { signature, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';

export const STAFF_ACCESS_CHANGES = ['granted', 'revoked', 'expired'] as const;
export const STAFF_ACCESS_DURATIONS = ['day', 'week', 'month', 'year', 'indefinite'] as const;

/** Queued when a customer admin grants or revokes staff access, and when a grant expires. */
export interface StaffAccessChangedData {
  accountName: string;
  subdomain: string;
  change: (typeof STAFF_ACCESS_CHANGES)[number];
  duration: (typeof STAFF_ACCESS_DURATIONS)[number];
  expiresAt: string | null;
  /** Who made the change; null for an expiry, which nobody makes. */
  changedBy: string | null;
}

type Duration = StaffAccessChangedData['duration'];

const words = {
  en: {
    subject: { granted: 'Staff access granted', revoked: 'Staff access revoked', expired: 'Staff access expired' },
    period: { day: 'for a day', week: 'for a week', month: 'for a month', year: 'for a year', indefinite: 'with no end date' } as Record<
      Duration,
      string
    >,
    granted: (d: StaffAccessChangedData, by: string, period: string) =>
      `${by} granted the vendor's support staff access to ${d.accountName} (${d.subdomain}) ${period}.`,
    until: (when: string) => `The access ends on ${when}, unless an admin revokes it sooner.`,
    revoked: (d: StaffAccessChangedData, by: string) =>
      `${by} revoked the support staff's access to ${d.accountName} (${d.subdomain}). It ends now.`,
    expired: (d: StaffAccessChangedData) => `The support staff's access to ${d.accountName} (${d.subdomain}) has expired.`,
    someone: 'An administrator',
    separator: ': ',
    audit: "Every read and write by staff while access was open is in your account's audit log.",
    notYou: 'If this change surprises you, review your admins and revoke the access from your security settings.',
  },
  fr: {
    subject: { granted: 'Accès du support accordé', revoked: 'Accès du support révoqué', expired: 'Accès du support expiré' },
    period: {
      day: 'pour un jour',
      week: 'pour une semaine',
      month: 'pour un mois',
      year: 'pour un an',
      indefinite: 'sans date de fin',
    } as Record<Duration, string>,
    granted: (d: StaffAccessChangedData, by: string, period: string) =>
      `${by} a accordé au support de l’éditeur l’accès à ${d.accountName} (${d.subdomain}) ${period}.`,
    until: (when: string) => `L’accès prend fin le ${when}, sauf si un administrateur le révoque avant.`,
    revoked: (d: StaffAccessChangedData, by: string) =>
      `${by} a révoqué l’accès du support à ${d.accountName} (${d.subdomain}). Il cesse dès maintenant.`,
    expired: (d: StaffAccessChangedData) => `L’accès du support à ${d.accountName} (${d.subdomain}) a expiré.`,
    someone: 'Un administrateur',
    separator: ' : ',
    audit: 'Chaque lecture et chaque écriture du support pendant l’accès figure dans le journal d’audit de votre compte.',
    notYou: 'Si ce changement vous surprend, vérifiez vos administrateurs et révoquez l’accès depuis vos réglages de sécurité.',
  },
} as const;

function sentences(d: StaffAccessChangedData, locale: TemplateLocale): string[] {
  const w = words[locale];
  const by = d.changedBy ?? w.someone;
  if (d.change === 'granted') {
    const lines = [w.granted(d, by, w.period[d.duration])];
    if (d.expiresAt !== null) lines.push(w.until(formatDateTime(d.expiresAt, locale)));
    return [...lines, w.audit, w.notYou];
  }
  return [d.change === 'revoked' ? w.revoked(d, by) : w.expired(d), w.audit];
}

function render(d: StaffAccessChangedData, locale: TemplateLocale, vendor: VendorIdentity): RenderedMessage {
  const subject = `${words[locale].subject[d.change]}${words[locale].separator}${d.accountName}`;
  const lines = sentences(d, locale);
  const text = [...lines, '', signature(vendor, locale), ''].join('\n');
  const body = html`${lines.map((line) => html`<p>${line}</p> `)}
    <p>${signature(vendor, locale)}</p>`;
  return { subject, text, html: layout(locale, subject, body) };
}

export const staffAccessChangedTemplate: MessageTemplate<StaffAccessChangedData> = {
  read(data) {
    const r = TemplateDataReader.of('staff_access_changed', data);
    return {
      accountName: r.string('accountName'),
      subdomain: r.string('subdomain'),
      change: r.oneOf('change', STAFF_ACCESS_CHANGES),
      duration: r.oneOf('duration', STAFF_ACCESS_DURATIONS),
      expiresAt: r.optionalString('expiresAt'),
      changedBy: r.optionalString('changedBy'),
    };
  },
  render,
};
