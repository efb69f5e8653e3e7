import type { VendorIdentity } from '../../../config/vendor.js';
import { html, layout, link, type SafeHtml } from './html.js';
import { formatCount, formatDate, type TemplateLocale } from './locale.js';
import { signature, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';
import {
  customerNoticeWords,
  NOTICE_CREDENTIAL_KINDS,
  type CustomerNoticeWords,
  type NoticeCredentialKind,
} from './customer-incident-notice.words.js';

export type { NoticeCredentialKind };

export interface NoticeInstallation {
  appName: string;
  installedAt: string;
  /** The secure fields last set before the cutoff, with when. */
  staleFields: Array<{ field: string; setAt: string }>;
}

export interface NoticeCertificate {
  hostnames: string[];
  uploadedAt: string;
  notAfter: string;
}

/** An account-level credential set before the cutoff: an API token, an OAuth client's secret, the SSO shared secret or SAML settings. */
export interface NoticeCredential {
  kind: NoticeCredentialKind;
  /** The token's description or the client's name; null for the SSO settings. */
  name: string | null;
  setAt: string;
}

/** Something the vendor did about the incident: a task its operators marked public when they completed it. */
export interface NoticeMeasure {
  title: string;
  doneAt: string;
}

/** Exposed password credentials per hash tier at exposure time (README, "Risk by hash strength"). */
export interface NoticeHashTiers {
  critical: number;
  high: number;
  moderate: number;
}

/**
 * Tailored to one account: what was exposed for it and what it must do
 * (`incident notify`). Who signs it and where to write come from the
 * vendor settings at sending time, not from here.
 */
export interface CustomerIncidentNoticeData {
  accountName: string;
  subdomain: string;
  incidentTitle: string;
  becameAwareAt: string;
  /** Exposure categories of this account in the latest scope version. */
  categories: string[];
  /** At most a few dozen listed; `installationsTotal` counts them all. */
  installations: NoticeInstallation[];
  installationsTotal: number;
  certificates: NoticeCertificate[];
  certificatesTotal: number;
  /** Absent in notices queued before credentials were listed. */
  credentials?: NoticeCredential[];
  credentialsTotal?: number;
  /** Users of the account a rotation campaign forces to choose a new password. */
  usersToRotate: number;
  /** Of those, how many have already done it. */
  usersRotated: number;
  securityPageUrl: string;
  advisoryUrl: string | null;
  /** What the vendor has done: the incident's public tasks, by completion. Absent in notices queued before they were told. */
  measures?: NoticeMeasure[];
  /** The account's users who called the API with `email:password` in the 90 days before the notice; null or absent when unknown. */
  passwordApiUsers?: number | null;
  /** The account's exposed password credentials per hash tier; null or absent when password hashes were not exposed (or not counted). */
  passwordHashTiers?: NoticeHashTiers | null;
}

/** Password changes are coming for this account: its rotation has targets, or its password hashes were exposed. */
const passwordsChange = (d: CustomerIncidentNoticeData): boolean => d.usersToRotate > 0 || d.categories.includes('password_hashes');

function itemsOf(d: CustomerIncidentNoticeData, locale: TemplateLocale, w: CustomerNoticeWords) {
  const installations = d.installations.map((i) =>
    w.installation(
      i.appName,
      formatDate(i.installedAt, locale),
      i.staleFields.map((f) => w.field(f.field, formatDate(f.setAt, locale))),
    ),
  );
  const certificates = d.certificates.map((c) =>
    w.certificate(c.hostnames.join(', '), formatDate(c.uploadedAt, locale), formatDate(c.notAfter, locale)),
  );
  const credentials = (d.credentials ?? []).map((c) => w.credential(c.kind, c.name, formatDate(c.setAt, locale)));
  const credentialsTotal = d.credentialsTotal ?? credentials.length;
  const tiers = d.passwordHashTiers ?? null;
  return {
    categories: d.categories.map((category) => w.category[category] ?? category),
    hashTiers:
      tiers === null
        ? []
        : [
            w.hashTier.critical(formatCount(tiers.critical, locale)),
            w.hashTier.high(formatCount(tiers.high, locale)),
            w.hashTier.moderate(formatCount(tiers.moderate, locale)),
          ],
    installations,
    moreInstallations:
      d.installationsTotal > installations.length ? w.more(formatCount(d.installationsTotal - installations.length, locale)) : null,
    certificates,
    moreCertificates:
      d.certificatesTotal > certificates.length ? w.more(formatCount(d.certificatesTotal - certificates.length, locale)) : null,
    credentials,
    moreCredentials: credentialsTotal > credentials.length ? w.more(formatCount(credentialsTotal - credentials.length, locale)) : null,
  };
}

/** The sections, as (heading, paragraphs, bullet items), shared by the text and HTML bodies. */
function sections(d: CustomerIncidentNoticeData, locale: TemplateLocale) {
  const w = customerNoticeWords[locale];
  const items = itemsOf(d, locale, w);
  const pending = d.usersToRotate - d.usersRotated;
  const done = [
    ...(d.measures ?? []).map((measure) => w.measure(measure.title, formatDate(measure.doneAt, locale))),
    ...(d.usersToRotate > 0 ? [w.doneRotation(formatCount(d.usersToRotate, locale), formatCount(d.usersRotated, locale))] : []),
    w.doneContained,
    w.doneInvestigating,
  ];
  const steps: Array<{ lead: string; list: string[]; more: string | null }> = [];
  if (items.installations.length > 0) steps.push({ lead: w.stepsInstallations, list: items.installations, more: items.moreInstallations });
  if (items.certificates.length > 0) steps.push({ lead: w.stepsCertificates, list: items.certificates, more: items.moreCertificates });
  if (items.credentials.length > 0) steps.push({ lead: w.stepsCredentials, list: items.credentials, more: items.moreCredentials });
  if (pending > 0) steps.push({ lead: w.stepsUsers(formatCount(pending, locale)), list: [], more: null });
  if (passwordsChange(d)) {
    const n = d.passwordApiUsers ?? null;
    steps.push({ lead: w.stepsPasswordApi(n === null ? null : { n, shown: formatCount(n, locale) }), list: [], more: null });
  }
  steps.push({ lead: w.stepsReview, list: [], more: null });
  return { w, items, done, steps };
}

/** Where to write, and the vendor's security programme: from the settings. */
function contacts(locale: TemplateLocale, vendor: VendorIdentity) {
  const w = customerNoticeWords[locale];
  return {
    questions: w.questions(vendor.securityEmail),
    dataProtection: w.dataProtection(vendor.dataProtectionEmail),
    programme: vendor.securityPageUrl === null ? null : { lead: w.securityProgramme(vendor.name), url: vendor.securityPageUrl },
  };
}

function renderText(d: CustomerIncidentNoticeData, locale: TemplateLocale, vendor: VendorIdentity): string {
  const { w, items, done, steps } = sections(d, locale);
  const bullets = (list: string[]) => list.map((line) => `  - ${line}`);
  const lines = [
    w.hello(d.accountName),
    '',
    w.intro(formatDate(d.becameAwareAt, locale), d.incidentTitle, d.subdomain),
    '',
    w.exposedHeading,
    ...bullets(items.categories),
    ...(items.hashTiers.length === 0 ? [] : ['', w.hashTiersLead, ...bullets(items.hashTiers)]),
    '',
    w.doneHeading,
    ...bullets(done),
    '',
    w.stepsHeading,
  ];
  steps.forEach((step, index) => {
    lines.push(`${index + 1}. ${step.lead}`, ...bullets(step.list), ...(step.more === null ? [] : [`  ${step.more}`]));
  });
  lines.push('', w.securityPage, d.securityPageUrl);
  if (d.advisoryUrl !== null) lines.push('', w.advisory, d.advisoryUrl);
  const contact = contacts(locale, vendor);
  if (contact.programme !== null) lines.push('', contact.programme.lead, contact.programme.url);
  lines.push('', contact.questions, contact.dataProtection, '', signature(vendor, locale), '');
  return lines.join('\n');
}

function renderHtml(d: CustomerIncidentNoticeData, locale: TemplateLocale, subject: string, vendor: VendorIdentity): string {
  const { w, items, done, steps } = sections(d, locale);
  const contact = contacts(locale, vendor);
  const list = (entries: string[]): SafeHtml | string =>
    entries.length === 0
      ? ''
      : html`<ul>
          ${entries.map((e) => html`<li>${e}</li>`)}
        </ul>`;
  const body = html`<p>${w.hello(d.accountName)}</p>
    <p>${w.intro(formatDate(d.becameAwareAt, locale), d.incidentTitle, d.subdomain)}</p>
    <h2>${w.exposedHeading}</h2>
    ${list(items.categories)}
    ${
      items.hashTiers.length === 0
        ? ''
        : html`<p>${w.hashTiersLead}</p>
            ${list(items.hashTiers)}`
    }
    <h2>${w.doneHeading}</h2>
    ${list(done)}
    <h2>${w.stepsHeading}</h2>
    <ol>
      ${steps.map((step) => html`<li>${step.lead}${list(step.list)}${step.more === null ? '' : html`<p>${step.more}</p>`}</li>`)}
    </ol>
    <p>${w.securityPage} ${link(d.securityPageUrl)}</p>
    ${d.advisoryUrl === null ? '' : html`<p>${w.advisory} ${link(d.advisoryUrl)}</p>`}
    ${contact.programme === null ? '' : html`<p>${contact.programme.lead} ${link(contact.programme.url)}</p>`}
    <p>${contact.questions}<br />${contact.dataProtection}</p>
    <p>${signature(vendor, locale)}</p>`;
  return layout(locale, subject, body);
}

function render(d: CustomerIncidentNoticeData, locale: TemplateLocale, vendor: VendorIdentity): RenderedMessage {
  const subject = customerNoticeWords[locale].subject(d.accountName);
  return { subject, text: renderText(d, locale, vendor), html: renderHtml(d, locale, subject, vendor) };
}

export const customerIncidentNoticeTemplate: MessageTemplate<CustomerIncidentNoticeData> = {
  read(data) {
    const r = TemplateDataReader.of('customer_incident_notice', data);
    return {
      accountName: r.string('accountName'),
      subdomain: r.string('subdomain'),
      incidentTitle: r.string('incidentTitle'),
      becameAwareAt: r.string('becameAwareAt'),
      categories: r.strings('categories'),
      installations: r.list('installations', (i) => ({
        appName: i.string('appName'),
        installedAt: i.string('installedAt'),
        staleFields: i.list('staleFields', (f) => ({ field: f.string('field'), setAt: f.string('setAt') })),
      })),
      installationsTotal: r.count('installationsTotal'),
      certificates: r.list('certificates', (c) => ({
        hostnames: c.strings('hostnames'),
        uploadedAt: c.string('uploadedAt'),
        notAfter: c.string('notAfter'),
      })),
      certificatesTotal: r.count('certificatesTotal'),
      credentials: r.optionalList('credentials', (c) => ({
        kind: c.oneOf('kind', NOTICE_CREDENTIAL_KINDS),
        name: c.optionalString('name'),
        setAt: c.string('setAt'),
      })),
      credentialsTotal: r.optionalCount('credentialsTotal') ?? 0,
      usersToRotate: r.count('usersToRotate'),
      usersRotated: r.count('usersRotated'),
      securityPageUrl: r.string('securityPageUrl'),
      advisoryUrl: r.optionalString('advisoryUrl'),
      measures: r.optionalList('measures', (m) => ({ title: m.string('title'), doneAt: m.string('doneAt') })),
      passwordApiUsers: r.optionalCount('passwordApiUsers'),
      passwordHashTiers: r.optionalObject('passwordHashTiers', (t) => ({
        critical: t.count('critical'),
        high: t.count('high'),
        moderate: t.count('moderate'),
      })),
    };
  },
  render,
};
