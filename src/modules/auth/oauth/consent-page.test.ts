import { describe, expect, it } from 'vitest';
import { consentLocaleOf, renderConsentPage } from './consent-page.js';
import { formatScopes, parseScopes, storedScopes } from './scopes.js';
import { escapeHtml } from '../../../platform/html-escape.js';

describe('consent page', () => {
  const hostile = `<script>alert("x")</script>' onmouseover='alert(1)`;

  it('escapes every value it shows or sends back', () => {
    const html = renderConsentPage({
      locale: 'en',
      clientName: hostile,
      accountName: hostile,
      userName: hostile,
      userEmail: 'a@b.test',
      scopes: ['read', 'write'],
      redirectUri: `https://app.example/cb?x="><script>`,
      fields: { state: hostile, [`"><script>`]: 'x' },
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain(`' onmouseover='`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;alert(1)');
    expect(html).toContain('<form method="post" action="/oauth/authorizations">');
  });

  it('speaks French to French users', () => {
    expect(consentLocaleOf(null, 'fr-CA')).toBe('fr');
    expect(consentLocaleOf('en-GB', 'fr')).toBe('en');
    expect(consentLocaleOf(undefined, null)).toBe('en');
    const html = renderConsentPage({
      locale: 'fr',
      clientName: 'App',
      accountName: 'Acme',
      userName: 'Ana',
      userEmail: 'a@b.test',
      scopes: ['read'],
      redirectUri: 'https://a.example/cb',
      fields: {},
    });
    expect(html).toContain('lang="fr"');
    expect(html).toContain('Autoriser');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('scopes', () => {
  it('reads lists and space-separated strings, refusing unknown and repeated scopes', () => {
    expect(parseScopes('write read')).toEqual(['read', 'write']);
    expect(parseScopes(['read'])).toEqual(['read']);
    expect(parseScopes('read  write')).toEqual(['read', 'write']);
    for (const bad of ['', 'admin', 'read read', 'read,write', "read' OR 1=1"]) expect(parseScopes(bad), bad).toBeUndefined();
    expect(parseScopes([])).toBeUndefined();
    expect(formatScopes(['write', 'read'])).toBe('read write');
    expect(storedScopes('read bogus')).toEqual(['read']);
  });
});
