import { html, layout, link, type SafeHtml } from './html.js';
import { formatCount, formatDate, type TemplateLocale } from './locale.js';
import { SIGNATURE, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';
import { customerNoticeWords, type CustomerNoticeWords } from './customer-incident-notice.words.js';

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

/** Tailored to one account: what was exposed for it and what it must do (`incident notify`). */
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
  /** Users of the account a rotation campaign forces to choose a new password. */
  usersToRotate: number;
  /** Of those, how many have already done it. */
  usersRotated: number;
  securityPageUrl: string;
  advisoryUrl: string | null;
}

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
  return {
    categories: d.categories.map((category) => w.category[category] ?? category),
    installations,
    moreInstallations:
      d.installationsTotal > installations.length ? w.more(formatCount(d.installationsTotal - installations.length, locale)) : null,
    certificates,
    moreCertificates:
      d.certificatesTotal > certificates.length ? w.more(formatCount(d.certificatesTotal - certificates.length, locale)) : null,
  };
}

/** The sections, as (heading, paragraphs, bullet items), shared by the text and HTML bodies. */
function sections(d: CustomerIncidentNoticeData, locale: TemplateLocale) {
  const w = customerNoticeWords[locale];
  const items = itemsOf(d, locale, w);
  const pending = d.usersToRotate - d.usersRotated;
  const done = [
    ...(d.usersToRotate > 0 ? [w.doneRotation(formatCount(d.usersToRotate, locale), formatCount(d.usersRotated, locale))] : []),
    w.doneContained,
    w.doneInvestigating,
  ];
  const steps: Array<{ lead: string; list: string[]; more: string | null }> = [];
  if (items.installations.length > 0) steps.push({ lead: w.stepsInstallations, list: items.installations, more: items.moreInstallations });
  if (items.certificates.length > 0) steps.push({ lead: w.stepsCertificates, list: items.certificates, more: items.moreCertificates });
  if (pending > 0) steps.push({ lead: w.stepsUsers(formatCount(pending, locale)), list: [], more: null });
  steps.push({ lead: w.stepsReview, list: [], more: null });
  return { w, items, done, steps };
}

function renderText(d: CustomerIncidentNoticeData, locale: TemplateLocale): string {
  const { w, items, done, steps } = sections(d, locale);
  const bullets = (list: string[]) => list.map((line) => `  - ${line}`);
  const lines = [
    w.hello(d.accountName),
    '',
    w.intro(formatDate(d.becameAwareAt, locale), d.incidentTitle, d.subdomain),
    '',
    w.exposedHeading,
    ...bullets(items.categories),
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
  lines.push('', w.questions, '', SIGNATURE[locale], '');
  return lines.join('\n');
}

function renderHtml(d: CustomerIncidentNoticeData, locale: TemplateLocale, subject: string): string {
  const { w, items, done, steps } = sections(d, locale);
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
    <h2>${w.doneHeading}</h2>
    ${list(done)}
    <h2>${w.stepsHeading}</h2>
    <ol>
      ${steps.map((step) => html`<li>${step.lead}${list(step.list)}${step.more === null ? '' : html`<p>${step.more}</p>`}</li>`)}
    </ol>
    <p>${w.securityPage} ${link(d.securityPageUrl)}</p>
    ${d.advisoryUrl === null ? '' : html`<p>${w.advisory} ${link(d.advisoryUrl)}</p>`}
    <p>${w.questions}</p>
    <p>${SIGNATURE[locale]}</p>`;
  return layout(locale, subject, body);
}

function render(d: CustomerIncidentNoticeData, locale: TemplateLocale): RenderedMessage {
  const subject = customerNoticeWords[locale].subject(d.accountName);
  return { subject, text: renderText(d, locale), html: renderHtml(d, locale, subject) };
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
      usersToRotate: r.count('usersToRotate'),
      usersRotated: r.count('usersRotated'),
      securityPageUrl: r.string('securityPageUrl'),
      advisoryUrl: r.optionalString('advisoryUrl'),
    };
  },
  render,
};
