import type { Scope } from '../../accounts/principal.js';
import { escapeHtml } from '../../../platform/html-escape.js';

export type ConsentLocale = 'en' | 'fr';

export interface ConsentPageView {
  locale: ConsentLocale;
  clientName: string;
  accountName: string;
  userName: string;
  userEmail: string;
  scopes: readonly Scope[];
  /** Where the browser goes after the decision, shown so the user can judge it. */
  redirectUri: string;
  /** Sent back with the decision; the POST checks them all again. */
  fields: Record<string, string>;
}

const TEXT = {
  en: {
    title: (client: string) => `Authorize ${client}`,
    heading: (client: string, account: string) => `${client} wants to access your ${account} account`,
    signedInAs: 'Signed in as',
    itWill: 'It will be able to:',
    read: 'read your data (tickets, users, settings you can see)',
    write: 'change your data on your behalf',
    redirect: 'Afterwards you will be sent to',
    allow: 'Allow',
    deny: 'Deny',
    notice: 'Only allow apps you trust. You can revoke this access at any time.',
  },
  fr: {
    title: (client: string) => `Autoriser ${client}`,
    heading: (client: string, account: string) => `${client} demande l’accès à votre compte ${account}`,
    signedInAs: 'Connecté en tant que',
    itWill: 'Cette application pourra :',
    read: 'lire vos données (tickets, utilisateurs, paramètres que vous voyez)',
    write: 'modifier vos données en votre nom',
    redirect: 'Vous serez ensuite renvoyé vers',
    allow: 'Autoriser',
    deny: 'Refuser',
    notice: 'N’autorisez que les applications de confiance. Vous pouvez révoquer cet accès à tout moment.',
  },
} as const;

export const consentLocaleOf = (...candidates: Array<string | null | undefined>): ConsentLocale =>
  candidates
    .find((locale) => locale !== null && locale !== undefined)
    ?.toLowerCase()
    .startsWith('fr') === true
    ? 'fr'
    : 'en';

/**
 * The consent page: server-rendered, no script, every value escaped. The form
 * posts the request back with the user's decision and the CSRF token.
 */
export function renderConsentPage(view: ConsentPageView): string {
  const text = TEXT[view.locale];
  const e = escapeHtml;
  const hidden = Object.entries(view.fields)
    .map(([name, value]) => `<input type="hidden" name="${e(name)}" value="${e(value)}">`)
    .join('\n      ');
  const scopes = view.scopes.map((scope) => `<li>${e(text[scope])}</li>`).join('');
  return `<!doctype html>
<html lang="${view.locale}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${e(text.title(view.clientName))}</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f5f5f4; color: #1c1917; margin: 0; }
    main { max-width: 32rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 0.5rem; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
    h1 { font-size: 1.25rem; } .who, .notice { color: #57534e; font-size: 0.9rem; } code { word-break: break-all; }
    .actions { display: flex; gap: 1rem; margin-top: 1.5rem; } button { font-size: 1rem; padding: 0.5rem 1.25rem; border-radius: 0.375rem; border: 1px solid #a8a29e; background: #fff; cursor: pointer; }
    button[value="allow"] { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
  </style>
</head>
<body>
  <main>
    <h1>${e(text.heading(view.clientName, view.accountName))}</h1>
    <p class="who">${e(text.signedInAs)} ${e(view.userName)} &lt;${e(view.userEmail)}&gt;</p>
    <p>${e(text.itWill)}</p>
    <ul>${scopes}</ul>
    <p>${e(text.redirect)} <code>${e(view.redirectUri)}</code></p>
    <form method="post" action="/oauth/authorizations">
      ${hidden}
      <div class="actions">
        <button type="submit" name="decision" value="allow">${e(text.allow)}</button>
        <button type="submit" name="decision" value="deny">${e(text.deny)}</button>
      </div>
    </form>
    <p class="notice">${e(text.notice)}</p>
  </main>
</body>
</html>
`;
}
