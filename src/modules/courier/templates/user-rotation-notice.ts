import type { VendorIdentity } from '../../../config/vendor.js';
import { html, layout, link } from './html.js';
import { formatDate, formatDateTime, type TemplateLocale } from './locale.js';
import { signature, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';

/**
 * The second wave of `incident notify --users`: one to each user a rotation
 * campaign targets. With `rotationStartsAt`, the advance notice of a
 * scheduled campaign: when the new password will be required, and where to
 * change it before then.
 */
export interface UserRotationNoticeData {
  userName: string;
  accountName: string;
  incidentTitle: string;
  /** The account's sign-in page. */
  signInUrl: string;
  advisoryUrl: string | null;
  /** When a scheduled rotation starts (ISO 8601); null once it is in force. */
  rotationStartsAt?: string | null;
  /** Where the user can change the password now (the reset page); with `rotationStartsAt`. */
  changePasswordUrl?: string | null;
  /**
   * When the user last called the API with `email:password` (Basic auth), if
   * within the 90 days before the notice: they are told that this connection
   * must be set up again. Null or absent: the advice is given in general.
   */
  passwordApiUsedAt?: string | null;
}

const words = {
  en: {
    subject: (d: UserRotationNoticeData) => `Action needed: choose a new password for ${d.accountName}`,
    hello: (d: UserRotationNoticeData) => `Hello ${d.userName},`,
    why: (d: UserRotationNoticeData) =>
      `After a security incident (${d.incidentTitle}), we require a new password for your ${d.accountName} account, as a precaution.`,
    next: 'The next time you sign in, you will be asked to choose a new password before anything else. It must differ from your previous ones.',
    announcedSubject: (d: UserRotationNoticeData) => `Coming soon: a new password for ${d.accountName}`,
    announcedWhy: (d: UserRotationNoticeData, at: string) =>
      `After a security incident (${d.incidentTitle}), we will start requiring a new password for your ${d.accountName} account on ${at}, as a precaution.`,
    announcedNext:
      'To avoid an interruption, change your password before then: a password you set from now on is not affected, and you will not be asked again. Otherwise, the next time you sign in after that date, you will be asked to choose a new one first.',
    changeNow: 'Change your password now:',
    signIn: 'Sign in here:',
    passwordApiUsed: (at: string) =>
      `You called our API with your email address and password (Basic auth) as recently as ${at}. Once your password changes, that connection stops working: set it up again with the new password, or better, switch it to an API token or OAuth.`,
    passwordApiGeneral:
      'If you connect to our API with your email address and password (Basic auth), set that connection up again with the new password once you have changed it.',
    tokens:
      'API tokens and OAuth connections (connected apps) keep working. Users who sign in through single sign-on (SSO) are not affected.',
    never: 'We will never ask you for your password by email or phone.',
    advisory: 'What happened, and what we are doing:',
    questions: (email: string) => `Questions? Reply to this message or write to our security team at ${email}.`,
  },
  fr: {
    subject: (d: UserRotationNoticeData) => `Action requise : choisissez un nouveau mot de passe pour ${d.accountName}`,
    hello: (d: UserRotationNoticeData) => `Bonjour ${d.userName},`,
    why: (d: UserRotationNoticeData) =>
      `À la suite d’un incident de sécurité (${d.incidentTitle}), nous exigeons par précaution un nouveau mot de passe pour votre compte ${d.accountName}.`,
    next: 'À votre prochaine connexion, il vous sera demandé de choisir un nouveau mot de passe avant toute autre chose. Il doit être différent des précédents.',
    announcedSubject: (d: UserRotationNoticeData) => `Bientôt : un nouveau mot de passe pour ${d.accountName}`,
    announcedWhy: (d: UserRotationNoticeData, at: string) =>
      `À la suite d’un incident de sécurité (${d.incidentTitle}), nous exigerons par précaution un nouveau mot de passe pour votre compte ${d.accountName} à partir du ${at}.`,
    announcedNext:
      'Pour éviter toute interruption, changez votre mot de passe avant cette date : un mot de passe choisi dès maintenant n’est pas concerné, et il ne vous sera pas redemandé. Sinon, à votre première connexion après cette date, il vous sera demandé d’en choisir un nouveau.',
    changeNow: 'Changez votre mot de passe dès maintenant :',
    signIn: 'Connectez-vous ici :',
    passwordApiUsed: (at: string) =>
      `Vous avez appelé notre API avec votre adresse e-mail et votre mot de passe (authentification Basic), encore le ${at}. Une fois votre mot de passe changé, cette connexion ne fonctionnera plus : configurez-la de nouveau avec le nouveau mot de passe, ou mieux, passez-la à un jeton d’API ou à OAuth.`,
    passwordApiGeneral:
      'Si vous vous connectez à notre API avec votre adresse e-mail et votre mot de passe (authentification Basic), configurez de nouveau cette connexion avec le nouveau mot de passe une fois celui-ci changé.',
    tokens:
      'Les jetons d’API et les connexions OAuth (applications connectées) continuent de fonctionner. Les utilisateurs qui se connectent par authentification unique (SSO) ne sont pas concernés.',
    never: 'Nous ne vous demanderons jamais votre mot de passe par e-mail ou par téléphone.',
    advisory: 'Ce qui s’est passé et ce que nous faisons :',
    questions: (email: string) => `Des questions ? Répondez à ce message ou écrivez à notre équipe sécurité à ${email}.`,
  },
} as const;

function render(d: UserRotationNoticeData, locale: TemplateLocale, vendor: VendorIdentity): RenderedMessage {
  const w = words[locale];
  const usedAt = d.passwordApiUsedAt ?? null;
  const passwordApi = usedAt === null ? w.passwordApiGeneral : w.passwordApiUsed(formatDate(usedAt, locale));
  const startsAt = d.rotationStartsAt ?? null;
  const announced = startsAt === null ? null : { at: formatDateTime(startsAt, locale), url: d.changePasswordUrl ?? d.signInUrl };
  const subject = announced === null ? w.subject(d) : w.announcedSubject(d);
  const why = announced === null ? w.why(d) : w.announcedWhy(d, announced.at);
  const next = announced === null ? w.next : w.announcedNext;
  const [action, actionUrl] = announced === null ? [w.signIn, d.signInUrl] : [w.changeNow, announced.url];
  const advisory = d.advisoryUrl === null ? [] : ['', w.advisory, d.advisoryUrl];
  const questions = w.questions(vendor.securityEmail);
  const sign = signature(vendor, locale);
  const text = [
    w.hello(d),
    '',
    why,
    next,
    '',
    action,
    actionUrl,
    '',
    passwordApi,
    w.tokens,
    w.never,
    ...advisory,
    '',
    questions,
    '',
    sign,
    '',
  ].join('\n');
  const body = html`<p>${w.hello(d)}</p>
    <p>${why}</p>
    <p>${next}</p>
    <p>${action} ${link(actionUrl)}</p>
    <p>${passwordApi}<br />${w.tokens}<br />${w.never}</p>
    ${d.advisoryUrl === null ? '' : html`<p>${w.advisory} ${link(d.advisoryUrl)}</p>`}
    <p>${questions}</p>
    <p>${sign}</p>`;
  return { subject, text, html: layout(locale, subject, body) };
}

export const userRotationNoticeTemplate: MessageTemplate<UserRotationNoticeData> = {
  read(data) {
    const r = TemplateDataReader.of('user_rotation_notice', data);
    return {
      userName: r.string('userName'),
      accountName: r.string('accountName'),
      incidentTitle: r.string('incidentTitle'),
      signInUrl: r.string('signInUrl'),
      advisoryUrl: r.optionalString('advisoryUrl'),
      rotationStartsAt: r.optionalString('rotationStartsAt'),
      changePasswordUrl: r.optionalString('changePasswordUrl'),
      passwordApiUsedAt: r.optionalString('passwordApiUsedAt'),
    };
  },
  render,
};
