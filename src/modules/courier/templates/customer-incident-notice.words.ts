import type { TemplateLocale } from './locale.js';

/** The customer notice's sentences in each language; the template arranges them. */
export interface CustomerNoticeWords {
  subject(accountName: string): string;
  hello(accountName: string): string;
  intro(date: string, title: string, subdomain: string): string;
  exposedHeading: string;
  category: Record<string, string>;
  doneHeading: string;
  doneRotation(targets: string, changed: string): string;
  doneContained: string;
  doneInvestigating: string;
  stepsHeading: string;
  stepsInstallations: string;
  installation(app: string, installedAt: string, fields: string[]): string;
  field(name: string, setAt: string): string;
  stepsCertificates: string;
  certificate(hostnames: string, uploadedAt: string, notAfter: string): string;
  more(count: string): string;
  stepsUsers(count: string): string;
  stepsReview: string;
  securityPage: string;
  advisory: string;
  questions: string;
}

const en: CustomerNoticeWords = {
  subject: (account) => `Security incident: what it means for ${account} and what to do`,
  hello: (account) => `Dear ${account} administrator,`,
  intro: (date, title, subdomain) =>
    `On ${date} we became aware of a security incident (${title}). Your account ${subdomain} is among those affected. This message lists what concerns your account and what we ask you to do.`,
  exposedHeading: 'What was exposed for your account',
  category: {
    contact_pii: 'Contact details of your users (names, email addresses, phone numbers)',
    password_hashes: 'Password hashes of some of your users',
    auth_credentials: 'Authentication credentials (API tokens, OAuth tokens, SSO secrets)',
    tls_keys: 'Private keys of TLS certificates you uploaded',
    app_secrets: 'Keys and secrets stored by your app installations',
    ticket_data: 'Ticket data',
  },
  doneHeading: 'What we have done',
  doneRotation: (targets, changed) =>
    `We require ${targets} of your users to choose a new password at their next sign-in; ${changed} have already done so. API tokens and OAuth tokens keep working.`,
  doneContained:
    'We worked out, from our records, which data of your account was exposed: it is listed above, and only what concerns your account.',
  doneInvestigating:
    'We continue to investigate; dated updates go on the public advisory, and we will write to you again if what concerns your account changes.',
  stepsHeading: 'What you should do',
  stepsInstallations: 'Rotate the keys of these app installations (set each secure field again, with a new key from the provider):',
  installation: (app, installedAt, fields) => `${app}, installed on ${installedAt}${fields.length === 0 ? '' : `: ${fields.join('; ')}`}`,
  field: (name, setAt) => `${name} (set on ${setAt})`,
  stepsCertificates: 'Replace these TLS certificates with new keys, then revoke the old certificates:',
  certificate: (hostnames, uploadedAt, notAfter) => `${hostnames}, uploaded on ${uploadedAt}, valid until ${notAfter}`,
  more: (count) => `… and ${count} more, listed on your security page.`,
  stepsUsers: (count) =>
    `Let your ${count} users who have not yet changed their password know that they will be asked to at their next sign-in.`,
  stepsReview:
    'Review your account’s security page: the incident, its to-do list and your users’ progress, and the Article 33 facts for your own GDPR decision.',
  securityPage: 'Your account’s security page:',
  advisory: 'Public advisory, with dated updates:',
  questions: 'Reply to this message if you have questions; a person from our security team will answer.',
};

const fr: CustomerNoticeWords = {
  subject: (account) => `Incident de sécurité : ce qu’il signifie pour ${account} et ce qu’il faut faire`,
  hello: (account) => `Madame, Monsieur, administrateur de ${account},`,
  intro: (date, title, subdomain) =>
    `Le ${date}, nous avons eu connaissance d’un incident de sécurité (${title}). Votre compte ${subdomain} fait partie des comptes concernés. Ce message indique ce qui concerne votre compte et ce que nous vous demandons de faire.`,
  exposedHeading: 'Ce qui a été exposé pour votre compte',
  category: {
    contact_pii: 'Les coordonnées de vos utilisateurs (noms, adresses e-mail, numéros de téléphone)',
    password_hashes: 'Les empreintes de mot de passe d’une partie de vos utilisateurs',
    auth_credentials: 'Des identifiants d’authentification (jetons d’API, jetons OAuth, secrets SSO)',
    tls_keys: 'Les clés privées des certificats TLS que vous avez téléversés',
    app_secrets: 'Les clés et secrets enregistrés par vos installations d’applications',
    ticket_data: 'Des données de tickets',
  },
  doneHeading: 'Ce que nous avons fait',
  doneRotation: (targets, changed) =>
    `Nous demandons à ${targets} de vos utilisateurs de choisir un nouveau mot de passe à leur prochaine connexion ; ${changed} l’ont déjà fait. Les jetons d’API et OAuth continuent de fonctionner.`,
  doneContained:
    'Nous avons établi, d’après nos registres, quelles données de votre compte ont été exposées : elles sont listées ci-dessus, et seulement ce qui concerne votre compte.',
  doneInvestigating:
    'Nous poursuivons l’enquête ; les mises à jour datées paraissent dans l’avis public, et nous vous écrirons de nouveau si ce qui concerne votre compte change.',
  stepsHeading: 'Ce que vous devez faire',
  stepsInstallations:
    'Renouvelez les clés de ces installations d’applications (saisissez de nouveau chaque champ sécurisé, avec une nouvelle clé du fournisseur) :',
  installation: (app, installedAt, fields) => `${app}, installée le ${installedAt}${fields.length === 0 ? '' : ` : ${fields.join(' ; ')}`}`,
  field: (name, setAt) => `${name} (défini le ${setAt})`,
  stepsCertificates: 'Remplacez ces certificats TLS par des certificats à nouvelles clés, puis révoquez les anciens :',
  certificate: (hostnames, uploadedAt, notAfter) => `${hostnames}, téléversé le ${uploadedAt}, valide jusqu’au ${notAfter}`,
  more: (count) => `… et ${count} de plus, listés sur votre page de sécurité.`,
  stepsUsers: (count) =>
    `Prévenez vos ${count} utilisateurs qui n’ont pas encore changé leur mot de passe qu’il leur sera demandé à leur prochaine connexion.`,
  stepsReview:
    'Consultez la page de sécurité de votre compte : l’incident, sa liste d’actions, l’avancement de vos utilisateurs et les éléments de l’article 33 pour votre propre décision au titre du RGPD.',
  securityPage: 'La page de sécurité de votre compte :',
  advisory: 'L’avis de sécurité public, avec ses mises à jour datées :',
  questions: 'Répondez à ce message pour toute question ; une personne de notre équipe sécurité vous répondra.',
};

export const customerNoticeWords: Record<TemplateLocale, CustomerNoticeWords> = { en, fr };
