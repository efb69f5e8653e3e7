import { html, layout, link } from './html.js';
import type { TemplateLocale } from './locale.js';
import { SIGNATURE, type MessageTemplate, type RenderedMessage } from './rendered-message.js';
import { TemplateDataReader } from './template-data.js';

/** The second wave of `incident notify --users`: one to each user a rotation campaign targets. */
export interface UserRotationNoticeData {
  userName: string;
  accountName: string;
  incidentTitle: string;
  /** The account's sign-in page. */
  signInUrl: string;
  advisoryUrl: string | null;
}

const words = {
  en: {
    subject: (d: UserRotationNoticeData) => `Action needed: choose a new password for ${d.accountName}`,
    hello: (d: UserRotationNoticeData) => `Hello ${d.userName},`,
    why: (d: UserRotationNoticeData) =>
      `After a security incident (${d.incidentTitle}), we require a new password for your ${d.accountName} account, as a precaution.`,
    next: 'The next time you sign in, you will be asked to choose a new password before anything else. It must differ from your previous ones.',
    signIn: 'Sign in here:',
    tokens: 'API tokens and connected apps keep working. Single sign-on users are not affected.',
    never: 'We will never ask you for your password by email or phone.',
    advisory: 'What happened, and what we are doing:',
  },
  fr: {
    subject: (d: UserRotationNoticeData) => `Action requise : choisissez un nouveau mot de passe pour ${d.accountName}`,
    hello: (d: UserRotationNoticeData) => `Bonjour ${d.userName},`,
    why: (d: UserRotationNoticeData) =>
      `À la suite d’un incident de sécurité (${d.incidentTitle}), nous exigeons par précaution un nouveau mot de passe pour votre compte ${d.accountName}.`,
    next: 'À votre prochaine connexion, il vous sera demandé de choisir un nouveau mot de passe avant toute autre chose. Il doit être différent des précédents.',
    signIn: 'Connectez-vous ici :',
    tokens:
      'Les jetons d’API et les applications connectées continuent de fonctionner. Les utilisateurs en authentification unique ne sont pas concernés.',
    never: 'Nous ne vous demanderons jamais votre mot de passe par e-mail ou par téléphone.',
    advisory: 'Ce qui s’est passé et ce que nous faisons :',
  },
} as const;

function render(d: UserRotationNoticeData, locale: TemplateLocale): RenderedMessage {
  const w = words[locale];
  const subject = w.subject(d);
  const advisory = d.advisoryUrl === null ? [] : ['', w.advisory, d.advisoryUrl];
  const text = [
    w.hello(d),
    '',
    w.why(d),
    w.next,
    '',
    w.signIn,
    d.signInUrl,
    '',
    w.tokens,
    w.never,
    ...advisory,
    '',
    SIGNATURE[locale],
    '',
  ].join('\n');
  const body = html`<p>${w.hello(d)}</p>
    <p>${w.why(d)}</p>
    <p>${w.next}</p>
    <p>${w.signIn} ${link(d.signInUrl)}</p>
    <p>${w.tokens}<br />${w.never}</p>
    ${d.advisoryUrl === null ? '' : html`<p>${w.advisory} ${link(d.advisoryUrl)}</p>`}
    <p>${SIGNATURE[locale]}</p>`;
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
    };
  },
  render,
};
