import { AppError } from '../../../errors.js';
import { html, layout } from './html.js';
import { formatCount, formatDateTime, type TemplateLocale } from './locale.js';
import type { VendorIdentity } from '../../../config/vendor.js';
import { signature, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';

/** One source (address) that presented exposed passwords, and how many users it tried. */
export interface ExposedAlertSource {
  ip: string;
  attempts: number;
  users: number;
}

/**
 * Queued (throttled: at most one per recipient, account and window) when
 * attempts presented a password exposed in an incident: a summary of every
 * attempt since the previous alert, for the operators and the account's
 * security contact (template `exposed-credential-alert`).
 */
export interface ExposedCredentialAlertData {
  accountName: string;
  subdomain: string;
  /** Start and end of the window the mail summarises (ISO). */
  from: string;
  to: string;
  attempts: number;
  /** The users whose exposed password was presented (emails). */
  users: string[];
  sources: ExposedAlertSource[];
  channels: string[];
  /** Whether one source presented the exposed passwords of two or more users: credential stuffing. */
  stuffing: boolean;
  incidentIds: number[];
}

const words = {
  en: {
    subject: (d: ExposedCredentialAlertData) => `Exposed passwords tried on ${d.accountName}`,
    summary: (d: ExposedCredentialAlertData, l: TemplateLocale) =>
      `Between ${formatDateTime(d.from, l)} and ${formatDateTime(d.to, l)}, ${formatCount(d.attempts, l)} sign-in attempt(s) on ${d.accountName} (${d.subdomain}) presented a password exposed in a security incident and already rotated. Every one was refused like a wrong password.`,
    users: 'Users whose exposed password was tried:',
    sources: 'Sources:',
    source: (s: ExposedAlertSource) => `${s.ip}: ${s.attempts} attempt(s), ${s.users} user(s)`,
    channels: (c: string[]) => `Channels: ${c.join(', ')}.`,
    incidents: (ids: number[]) => `Incident(s): ${ids.map((id) => `#${id}`).join(', ')}.`,
    stuffing:
      'Credential stuffing: one source tried the exposed passwords of several users of the account. Consider blocking it and asking those users to check that their new password is not reused elsewhere.',
    advice:
      'Nobody signed in with these passwords. The attempts are in the account’s sign-in events (reason exposed_password) and audit log (password.exposed_credential_attempt).',
    unknownSource: 'unknown address',
  },
  fr: {
    subject: (d: ExposedCredentialAlertData) => `Mots de passe exposés essayés sur ${d.accountName}`,
    summary: (d: ExposedCredentialAlertData, l: TemplateLocale) =>
      `Entre le ${formatDateTime(d.from, l)} et le ${formatDateTime(d.to, l)}, ${formatCount(d.attempts, l)} tentative(s) de connexion sur ${d.accountName} (${d.subdomain}) ont présenté un mot de passe exposé lors d’un incident de sécurité et déjà remplacé. Chacune a été refusée comme un mauvais mot de passe.`,
    users: 'Utilisateurs dont le mot de passe exposé a été essayé :',
    sources: 'Sources :',
    source: (s: ExposedAlertSource) => `${s.ip} : ${s.attempts} tentative(s), ${s.users} utilisateur(s)`,
    channels: (c: string[]) => `Canaux : ${c.join(', ')}.`,
    incidents: (ids: number[]) => `Incident(s) : ${ids.map((id) => `n° ${id}`).join(', ')}.`,
    stuffing:
      'Bourrage d’identifiants : une même source a essayé les mots de passe exposés de plusieurs utilisateurs du compte. Envisagez de la bloquer et demandez à ces utilisateurs de vérifier que leur nouveau mot de passe n’est pas réutilisé ailleurs.',
    advice:
      'Personne ne s’est connecté avec ces mots de passe. Les tentatives figurent dans les événements de connexion du compte (motif exposed_password) et son journal d’audit (password.exposed_credential_attempt).',
    unknownSource: 'adresse inconnue',
  },
} as const;

function render(d: ExposedCredentialAlertData, locale: TemplateLocale, vendor: VendorIdentity): RenderedMessage {
  const w = words[locale];
  const subject = w.subject(d);
  const sources = d.sources.map((s) => w.source({ ...s, ip: s.ip === '' ? w.unknownSource : s.ip }));
  const text = [
    w.summary(d, locale),
    ...(d.stuffing ? ['', w.stuffing] : []),
    '',
    w.users,
    ...d.users.map((user) => `- ${user}`),
    '',
    w.sources,
    ...sources.map((source) => `- ${source}`),
    '',
    w.channels(d.channels),
    w.incidents(d.incidentIds),
    '',
    w.advice,
    '',
    signature(vendor, locale),
    '',
  ].join('\n');
  const body = html`<p>${w.summary(d, locale)}</p>
    ${d.stuffing ? html`<p><strong>${w.stuffing}</strong></p>` : ''}
    <p>${w.users}</p>
    <ul>
      ${d.users.map((user) => html`<li>${user}</li> `)}
    </ul>
    <p>${w.sources}</p>
    <ul>
      ${sources.map((source) => html`<li>${source}</li> `)}
    </ul>
    <p>${w.channels(d.channels)} ${w.incidents(d.incidentIds)}</p>
    <p>${w.advice}</p>
    <p>${signature(vendor, locale)}</p>`;
  return { subject, text, html: layout(locale, subject, body) };
}

export const exposedCredentialAlertTemplate: MessageTemplate<ExposedCredentialAlertData> = {
  read(data) {
    const r = TemplateDataReader.of('exposed_credential_alert', data);
    const { stuffing, incidentIds } = data as Record<string, unknown>;
    if (!Array.isArray(incidentIds) || incidentIds.some((id) => !Number.isSafeInteger(id)))
      throw new AppError(
        'TemplateDataInvalid',
        'The exposed_credential_alert message\'s data has no valid "incidentIds" (expected a list of ids).',
      );
    return {
      accountName: r.string('accountName'),
      subdomain: r.string('subdomain'),
      from: r.string('from'),
      to: r.string('to'),
      attempts: r.count('attempts'),
      users: r.strings('users'),
      sources: r.list('sources', (s) => ({ ip: s.string('ip'), attempts: s.count('attempts'), users: s.count('users') })),
      channels: r.strings('channels'),
      stuffing: stuffing === true,
      incidentIds: incidentIds as number[],
    };
  },
  render,
};
