import type { TemplateLocale } from './locale.js';

export const NOTICE_CREDENTIAL_KINDS = ['api_token', 'oauth_client', 'jwt_secret', 'saml_configuration'] as const;
export type NoticeCredentialKind = (typeof NOTICE_CREDENTIAL_KINDS)[number];

/** The customer notice's sentences in each language; the template arranges them. */
export interface CustomerNoticeWords {
  subject(accountName: string): string;
  hello(accountName: string): string;
  intro(date: string, title: string, subdomain: string): string;
  exposedHeading: string;
  category: Record<string, string>;
  /** Leads the exposed password hashes per tier of strength (README, "Risk by hash strength"). */
  hashTiersLead: string;
  hashTier: Record<'critical' | 'high' | 'moderate', (count: string) => string>;
  doneHeading: string;
  doneRotation(targets: string, changed: string): string;
  /** A measure the incident's operators marked public when they completed it, with its date. */
  measure(title: string, doneAt: string): string;
  doneContained: string;
  doneInvestigating: string;
  stepsHeading: string;
  stepsInstallations: string;
  installation(app: string, installedAt: string, fields: string[]): string;
  field(name: string, setAt: string): string;
  stepsCertificates: string;
  certificate(hostnames: string, uploadedAt: string, notAfter: string): string;
  stepsCredentials: string;
  /** An API token, OAuth client secret or SSO setting set before the cutoff; `name` names the token or client. */
  credential(kind: NoticeCredentialKind, name: string | null, setAt: string): string;
  more(count: string): string;
  stepsUsers(count: string): string;
  /** Integrations using `email:password` on the API; `count` of the account's users who did in the last 90 days, null when unknown. */
  stepsPasswordApi(count: { n: number; shown: string } | null): string;
  stepsReview: string;
  securityPage: string;
  advisory: string;
  questions(securityEmail: string): string;
  dataProtection(email: string): string;
  securityProgramme(vendorName: string): string;
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
  hashTiersLead:
    'The exposed password hashes of your users, by how they were stored at the time of the exposure (how hard they are to crack):',
  hashTier: {
    critical: (count) =>
      `Critical: ${count}, stored with salted SHA-1 or SHA-256, which a single graphics card tries billions of guesses against a second: common passwords are found at once.`,
    high: (count) =>
      `High: ${count}, stored with PBKDF2 under 100,000 iterations or bcrypt under cost 10: a list of common passwords takes seconds to minutes per password.`,
    moderate: (count) =>
      `Moderate: ${count}, stored with stronger bcrypt or PBKDF2, or argon2id: each guess is costly, but weak or reused passwords can still be found.`,
  },
  doneHeading: 'What we have done',
  doneRotation: (targets, changed) =>
    `We require ${targets} of your users to choose a new password at their next sign-in; ${changed} have already done so. API tokens and OAuth tokens keep working.`,
  measure: (title, doneAt) => `${doneAt}: ${title}`,
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
  stepsCredentials:
    'Replace these credentials, set before the incident, from your security page: revoke each API token (create a new one where an integration needs it), regenerate each OAuth client secret and the single sign-on shared secret, and review the SAML identity provider settings:',
  credential: (kind, name, setAt) =>
    ({
      api_token: `API token “${name ?? ''}”, created on ${setAt}`,
      oauth_client: `OAuth client “${name ?? ''}”, secret set on ${setAt}`,
      jwt_secret: `JWT single sign-on shared secret, set on ${setAt}`,
      saml_configuration: `SAML single sign-on configuration, set on ${setAt}`,
    })[kind],
  more: (count) => `… and ${count} more, listed on your security page.`,
  stepsUsers: (count) =>
    `Let your ${count} users who have not yet changed their password know that they will be asked to at their next sign-in.`,
  stepsPasswordApi: (count) =>
    'Set up again every integration that calls our API with an email address and password (Basic auth email:password): once the password changes, it stops working until it is given the new password; better, move it to an API token or OAuth. ' +
    (count === null
      ? ''
      : count.n === 0
        ? 'None of your users called the API this way in the last 90 days. '
        : `${count.shown} of your users called the API this way in the last 90 days. `) +
    'API tokens and OAuth tokens keep working, and users who sign in through single sign-on (SSO) are not affected.',
  stepsReview:
    'Review your account’s security page: the incident, its to-do list and your users’ progress, and the Article 33 facts for your own GDPR decision.',
  securityPage: 'Your account’s security page:',
  advisory: 'Public advisory, with dated updates:',
  questions: (email) => `Questions? Reply to this message or write to our security team at ${email}; a person will answer.`,
  dataProtection: (email) => `For data-protection questions, such as your own notification under the GDPR, write to ${email}.`,
  securityProgramme: (vendor) => `How ${vendor} protects your data (our security programme):`,
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
  hashTiersLead:
    'Les empreintes de mot de passe exposées de vos utilisateurs, selon la façon dont elles étaient enregistrées au moment de l’exposition (leur résistance au cassage) :',
  hashTier: {
    critical: (count) =>
      `Risque critique : ${count}, enregistrées en SHA-1 ou SHA-256 salé, qu’une seule carte graphique met à l’épreuve de milliards d’essais par seconde : les mots de passe courants sont trouvés aussitôt.`,
    high: (count) =>
      `Risque élevé : ${count}, enregistrées en PBKDF2 sous 100 000 itérations ou en bcrypt sous le coût 10 : une liste de mots de passe courants prend de quelques secondes à quelques minutes par mot de passe.`,
    moderate: (count) =>
      `Risque modéré : ${count}, enregistrées en bcrypt ou PBKDF2 plus forts, ou en argon2id : chaque essai coûte cher, mais un mot de passe faible ou réutilisé peut encore être trouvé.`,
  },
  doneHeading: 'Ce que nous avons fait',
  doneRotation: (targets, changed) =>
    `Nous demandons à ${targets} de vos utilisateurs de choisir un nouveau mot de passe à leur prochaine connexion ; ${changed} l’ont déjà fait. Les jetons d’API et OAuth continuent de fonctionner.`,
  measure: (title, doneAt) => `${doneAt} : ${title}`,
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
  stepsCredentials:
    'Remplacez ces identifiants, définis avant l’incident, depuis votre page de sécurité : révoquez chaque jeton d’API (créez-en un nouveau là où une intégration en a besoin), régénérez chaque secret de client OAuth et le secret partagé de l’authentification unique, et vérifiez la configuration du fournisseur d’identité SAML :',
  credential: (kind, name, setAt) =>
    ({
      api_token: `Jeton d’API « ${name ?? ''} », créé le ${setAt}`,
      oauth_client: `Client OAuth « ${name ?? ''} », secret défini le ${setAt}`,
      jwt_secret: `Secret partagé de l’authentification unique JWT, défini le ${setAt}`,
      saml_configuration: `Configuration de l’authentification unique SAML, définie le ${setAt}`,
    })[kind],
  more: (count) => `… et ${count} de plus, listés sur votre page de sécurité.`,
  stepsUsers: (count) =>
    `Prévenez vos ${count} utilisateurs qui n’ont pas encore changé leur mot de passe qu’il leur sera demandé à leur prochaine connexion.`,
  stepsPasswordApi: (count) =>
    'Configurez de nouveau chaque intégration qui appelle notre API avec une adresse e-mail et un mot de passe (authentification Basic e-mail:mot de passe) : une fois le mot de passe changé, elle ne fonctionne plus tant qu’elle n’a pas le nouveau ; mieux, passez-la à un jeton d’API ou à OAuth. ' +
    (count === null
      ? ''
      : count.n === 0
        ? 'Aucun de vos utilisateurs n’a appelé l’API de cette façon au cours des 90 derniers jours. '
        : `${count.shown} de vos utilisateurs ${count.n === 1 ? 'a' : 'ont'} appelé l’API de cette façon au cours des 90 derniers jours. `) +
    'Les jetons d’API et OAuth continuent de fonctionner, et les utilisateurs qui se connectent par authentification unique (SSO) ne sont pas concernés.',
  stepsReview:
    'Consultez la page de sécurité de votre compte : l’incident, sa liste d’actions, l’avancement de vos utilisateurs et les éléments de l’article 33 pour votre propre décision au titre du RGPD.',
  securityPage: 'La page de sécurité de votre compte :',
  advisory: 'L’avis de sécurité public, avec ses mises à jour datées :',
  questions: (email) => `Des questions ? Répondez à ce message ou écrivez à notre équipe sécurité à ${email} ; une personne vous répondra.`,
  dataProtection: (email) =>
    `Pour toute question de protection des données, par exemple sur votre propre notification au titre du RGPD, écrivez à ${email}.`,
  securityProgramme: (vendor) => `Comment ${vendor} protège vos données (notre programme de sécurité) :`,
};

export const customerNoticeWords: Record<TemplateLocale, CustomerNoticeWords> = { en, fr };
