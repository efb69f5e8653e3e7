import { html, layout, link } from './html.js';
import { formatDateTime, type TemplateLocale } from './locale.js';
import type { VendorIdentity } from '../../../config/vendor.js';
import { signature, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';

/** Queued by `requestPasswordReset` (auth/sessions/sign-in.service.ts). */
export interface PasswordResetData {
  user_name: string;
  account_name: string;
  /** Single use; grants a password change until `expires_at`. */
  reset_url: string;
  expires_at: string;
}

const words = {
  en: {
    subject: (d: PasswordResetData) => `Reset your ${d.account_name} password`,
    hello: (d: PasswordResetData) => `Hello ${d.user_name},`,
    asked: (d: PasswordResetData) =>
      `Someone asked to reset the password of your ${d.account_name} account. To choose a new one, open this link:`,
    button: 'Choose a new password',
    expires: (when: string) => `The link works once, until ${when}.`,
    ignore: 'If you did not ask for this, ignore this message: your password stays as it is.',
  },
  fr: {
    subject: (d: PasswordResetData) => `Réinitialisez votre mot de passe ${d.account_name}`,
    hello: (d: PasswordResetData) => `Bonjour ${d.user_name},`,
    asked: (d: PasswordResetData) =>
      `Une demande de réinitialisation du mot de passe de votre compte ${d.account_name} a été faite. Pour en choisir un nouveau, ouvrez ce lien :`,
    button: 'Choisir un nouveau mot de passe',
    expires: (when: string) => `Le lien ne sert qu’une fois, jusqu’au ${when}.`,
    ignore: 'Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.',
  },
} as const;

function render(d: PasswordResetData, locale: TemplateLocale, vendor: VendorIdentity): RenderedMessage {
  const w = words[locale];
  const expires = w.expires(formatDateTime(d.expires_at, locale));
  const subject = w.subject(d);
  const text = [w.hello(d), '', w.asked(d), d.reset_url, '', expires, w.ignore, '', signature(vendor, locale), ''].join('\n');
  const body = html`<p>${w.hello(d)}</p>
    <p>${w.asked(d)}</p>
    <p>${link(d.reset_url, w.button)}</p>
    <p>${expires}<br />${w.ignore}</p>
    <p>${signature(vendor, locale)}</p>`;
  return { subject, text, html: layout(locale, subject, body) };
}

export const passwordResetTemplate: MessageTemplate<PasswordResetData> = {
  read(data) {
    const r = TemplateDataReader.of('password_reset', data);
    return {
      user_name: r.string('user_name'),
      account_name: r.string('account_name'),
      reset_url: r.string('reset_url'),
      expires_at: r.string('expires_at'),
    };
  },
  render,
};
