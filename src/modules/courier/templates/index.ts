import type { VendorIdentity } from '../../../config/vendor.js';
import { AppError } from '../../../errors.js';
import type { MessagePurpose } from '../outbox.service.js';
import { exposedCredentialAlertTemplate, type ExposedCredentialAlertData } from './exposed-credential-alert.js';
import { customerIncidentNoticeTemplate, type CustomerIncidentNoticeData } from './customer-incident-notice.js';
import { templateLocale } from './locale.js';
import { passwordResetTemplate, type PasswordResetData } from './password-reset.js';
import type { MessageTemplate, RenderedMessage } from './rendered-message.js';
import { staffAccessChangedTemplate, type StaffAccessChangedData } from './staff-access-changed.js';
import { userRotationNoticeTemplate, type UserRotationNoticeData } from './user-rotation-notice.js';

export type { RenderedMessage } from './rendered-message.js';
export type {
  CustomerIncidentNoticeData,
  NoticeCertificate,
  NoticeCredential,
  NoticeInstallation,
  NoticeMeasure,
} from './customer-incident-notice.js';
export type { PasswordResetData } from './password-reset.js';
export type { ExposedAlertSource, ExposedCredentialAlertData } from './exposed-credential-alert.js';
export type { StaffAccessChangedData } from './staff-access-changed.js';
export type { UserRotationNoticeData } from './user-rotation-notice.js';

/** The data each purpose's template renders. */
export interface TemplateDataByPurpose {
  password_reset: PasswordResetData;
  customer_incident_notice: CustomerIncidentNoticeData;
  user_rotation_notice: UserRotationNoticeData;
  staff_access_changed: StaffAccessChangedData;
  exposed_credential_alert: ExposedCredentialAlertData;
}

const templates: { [P in MessagePurpose]: MessageTemplate<TemplateDataByPurpose[P]> } = {
  password_reset: passwordResetTemplate,
  customer_incident_notice: customerIncidentNoticeTemplate,
  user_rotation_notice: userRotationNoticeTemplate,
  staff_access_changed: staffAccessChangedTemplate,
  exposed_credential_alert: exposedCredentialAlertTemplate,
};

const isPurpose = (purpose: string): purpose is MessagePurpose => Object.hasOwn(templates, purpose);

/**
 * Renders a message in the recipient's language (French for `fr` and its
 * variants, English for anything else): subject, plain text and HTML, every
 * interpolated value escaped in the HTML, signed and given the contacts of
 * the configured vendor (`vendorIdentity(config)`).
 *
 * @example
 * renderMessage('password_reset', 'fr', { user_name: 'Ana', account_name: 'Acme', reset_url: 'https://…', expires_at: '2026-06-01T13:00:00Z' }, vendorIdentity(config));
 * // { subject: 'Réinitialisez votre mot de passe Acme', text: '…', html: '<!doctype html>…' }
 */
export function renderMessage<P extends MessagePurpose>(
  purpose: P,
  locale: string,
  data: TemplateDataByPurpose[P],
  vendor: VendorIdentity,
): RenderedMessage {
  const template = templates[purpose] as MessageTemplate<TemplateDataByPurpose[P]>;
  return template.render(template.read(data), templateLocale(locale), vendor);
}

/** Renders a stored message, checking its data against the purpose's shape first (the sender's path). */
export function renderStoredMessage(purpose: string, locale: string, data: unknown, vendor: VendorIdentity): RenderedMessage {
  if (!isPurpose(purpose)) throw new AppError('TemplateUnknown', `No template for messages of purpose "${purpose}".`);
  const template = templates[purpose] as MessageTemplate<unknown>;
  return template.render(template.read(data), templateLocale(locale), vendor);
}
