import { describe, expect, it } from 'vitest';
import type { MessagePurpose } from '../outbox.service.js';
import { vendorIdentity } from '../../../config/vendor.js';
import { renderMessage, renderStoredMessage, type TemplateDataByPurpose } from './index.js';

const EVIL = '<script>alert("x")</script>';

const samples: { [P in MessagePurpose]: TemplateDataByPurpose[P] } = {
  password_reset: {
    user_name: EVIL,
    account_name: 'Acme',
    reset_url: 'https://acme.example/reset?token=a&b',
    expires_at: '2026-06-01T13:00:00Z',
  },
  customer_incident_notice: {
    accountName: EVIL,
    subdomain: 'acme',
    incidentTitle: 'Copy <b>of</b> 2016',
    becameAwareAt: '2026-05-30T09:00:00Z',
    categories: ['app_secrets', 'tls_keys', 'password_hashes'],
    installations: [
      { appName: EVIL, installedAt: '2016-02-01T00:00:00Z', staleFields: [{ field: 'api_token', setAt: '2016-02-01T00:00:00Z' }] },
    ],
    installationsTotal: 3,
    certificates: [{ hostnames: ['help.acme.test'], uploadedAt: '2016-05-01T00:00:00Z', notAfter: '2030-01-01T00:00:00Z' }],
    certificatesTotal: 1,
    usersToRotate: 1200,
    usersRotated: 200,
    securityPageUrl: 'http://acme.localhost:3000/security',
    advisoryUrl: 'http://localhost:3000/hc/en/articles/1',
  },
  user_rotation_notice: {
    userName: EVIL,
    accountName: 'Acme',
    incidentTitle: 'Copy of 2016',
    signInUrl: 'http://acme.localhost:3000/',
    advisoryUrl: null,
  },
  staff_access_changed: {
    accountName: EVIL,
    subdomain: 'acme',
    change: 'granted',
    duration: 'week',
    expiresAt: '2026-06-08T12:00:00Z',
    changedBy: 'Ana <ana@acme.test>',
  },
  exposed_credential_alert: {
    accountName: EVIL,
    subdomain: 'acme',
    from: '2026-06-01T12:00:00Z',
    to: '2026-06-01T12:03:00Z',
    attempts: 3,
    users: ['ana@acme.test', 'dana@acme.test'],
    sources: [{ ip: '198.51.100.7', attempts: 3, users: 2 }],
    channels: ['password_basic', 'web'],
    stuffing: true,
    incidentIds: [4],
  },
};

const purposes = Object.keys(samples) as MessagePurpose[];

/** The documented default vendor: tests that configure another one are in test/courier/notice-contents.test.ts. */
const vendor = vendorIdentity({});
const render = <P extends MessagePurpose>(purpose: P, locale: string, data: TemplateDataByPurpose[P]) =>
  renderMessage(purpose, locale, data, vendor);
const renderStored = (purpose: string, locale: string, data: unknown) => renderStoredMessage(purpose, locale, data, vendor);

describe('mail templates', () => {
  it.each(purposes)('%s escapes every interpolated value in the HTML and keeps the text plain', (purpose) => {
    for (const locale of ['en', 'fr']) {
      const rendered = render(purpose, locale, samples[purpose] as never);
      expect(rendered.html).not.toContain('<script>');
      expect(rendered.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(rendered.text).toContain(EVIL);
      expect(rendered.subject.length).toBeGreaterThan(5);
      expect(rendered.html).toMatch(new RegExp(`^<!doctype html>\\s*<html lang="${locale}">`));
    }
  });

  it.each(purposes)('%s is written in French for fr and its variants, English otherwise', (purpose) => {
    const fr = render(purpose, 'fr-CA', samples[purpose] as never);
    const en = render(purpose, 'en', samples[purpose] as never);
    const de = render(purpose, 'de', samples[purpose] as never);
    expect(fr.subject).not.toBe(en.subject);
    expect(fr.text).toContain('L’équipe sécurité de Riposte');
    expect(en.text).toContain('The Riposte security team');
    expect(de).toEqual(en);
  });

  it('tailors the customer notice: its installations, certificates, counts and links, dates in the language', () => {
    const fr = render('customer_incident_notice', 'fr', samples.customer_incident_notice);
    expect(fr.text).toContain('installée le 1 février 2016 : api_token (défini le 1 février 2016)');
    expect(fr.text).toContain('help.acme.test, téléversé le 1 mai 2016, valide jusqu’au 1 janvier 2030');
    expect(fr.text).toContain('… et 2 de plus, listés sur votre page de sécurité.');
    expect(fr.text).toMatch(/Prévenez vos 1\s000 utilisateurs/);
    expect(fr.text).toContain('Les clés privées des certificats TLS que vous avez téléversés');
    const en = render('customer_incident_notice', 'en', samples.customer_incident_notice);
    expect(en.text).toContain('We require 1,200 of your users to choose a new password at their next sign-in');
    expect(en.text).toContain('Let your 1,000 users who have not yet changed their password know');
    expect(en.html).toContain('<a href="http://acme.localhost:3000/security">http://acme.localhost:3000/security</a>');
    expect(en.html).toContain('<a href="http://localhost:3000/hc/en/articles/1">');
    expect(en.html).toContain('Copy &lt;b&gt;of&lt;/b&gt; 2016');
  });

  it('signs with the configured vendor and gives its contacts; an older stored notice still renders', () => {
    const ombre = vendorIdentity({
      vendorName: 'Ombre Cloud',
      vendorSecurityEmail: 'security@ombre.example',
      vendorDataProtectionEmail: 'dpo@ombre.example',
    });
    const fr = renderMessage('customer_incident_notice', 'fr', samples.customer_incident_notice, ombre);
    expect(fr.text).toContain('L’équipe sécurité d’Ombre Cloud');
    expect(fr.text).toContain('security@ombre.example');
    expect(fr.text).toContain('dpo@ombre.example');
    expect(fr.text).not.toContain('programme de sécurité');
    const en = renderMessage('user_rotation_notice', 'en', samples.user_rotation_notice, ombre);
    expect(en.text).toContain('The Ombre Cloud security team');
    for (const rendered of [fr, en]) expect(`${rendered.subject}${rendered.text}${rendered.html}`).not.toMatch(/riposte/i);
    // Queued before measures and the password-API count existed: the advice without a count, no measures.
    const older = render('customer_incident_notice', 'en', samples.customer_incident_notice);
    expect(older.text).toContain('(Basic auth email:password)');
    expect(older.text).not.toContain('in the last 90 days');
  });

  it('gives the password-API advice only when passwords change, and lists dated measures first', () => {
    const noPasswords = { ...samples.customer_incident_notice, categories: ['app_secrets'], usersToRotate: 0, usersRotated: 0 };
    expect(render('customer_incident_notice', 'en', noPasswords).text).not.toContain('Basic auth');
    const told = render('customer_incident_notice', 'en', {
      ...samples.customer_incident_notice,
      passwordApiUsers: 1234,
      measures: [{ title: 'Forensic firm <b>engaged</b>', doneAt: '2026-06-02T09:00:00Z' }],
    });
    expect(told.text).toContain('1,234 of your users called the API this way in the last 90 days.');
    expect(told.text).toContain('What we have done\n  - 2 June 2026: Forensic firm <b>engaged</b>\n  - We require 1,200');
    expect(told.html).toContain('<li>2 June 2026: Forensic firm &lt;b&gt;engaged&lt;/b&gt;</li>');
  });

  it('escapes an ampersand in a link and never makes a javascript: URL clickable', () => {
    const reset = render('password_reset', 'en', samples.password_reset);
    expect(reset.html).toContain('href="https://acme.example/reset?token=a&amp;b"');
    const hostile = render('password_reset', 'en', { ...samples.password_reset, reset_url: 'javascript:alert(1)' });
    expect(hostile.html).not.toContain('href="javascript:');
  });

  it('says when staff access ends, or that it was revoked or expired', () => {
    expect(render('staff_access_changed', 'en', samples.staff_access_changed).text).toContain('for a week');
    const indefinite = render('staff_access_changed', 'fr', {
      ...samples.staff_access_changed,
      duration: 'indefinite',
      expiresAt: null,
    });
    expect(indefinite.text).toContain('sans date de fin');
    expect(indefinite.text).not.toContain('prend fin le');
    expect(render('staff_access_changed', 'en', { ...samples.staff_access_changed, change: 'revoked' }).subject).toMatch(
      /^Staff access revoked: /,
    );
    expect(render('staff_access_changed', 'fr', { ...samples.staff_access_changed, change: 'expired' }).subject).toMatch(
      /^Accès du support expiré/,
    );
  });

  it('summarises exposed-password attempts: count, users, sources, stuffing', () => {
    const en = render('exposed_credential_alert', 'en', samples.exposed_credential_alert);
    expect(en.text).toContain('3 sign-in attempt(s)');
    expect(en.text).toContain('- dana@acme.test');
    expect(en.text).toContain('198.51.100.7: 3 attempt(s), 2 user(s)');
    expect(en.text).toContain('Credential stuffing');
    const fr = render('exposed_credential_alert', 'fr', { ...samples.exposed_credential_alert, stuffing: false });
    expect(fr.text).toContain('3 tentative(s)');
    expect(fr.text).toContain('198.51.100.7 : 3 tentative(s), 2 utilisateur(s)');
    expect(fr.text).not.toContain('Bourrage');
    expect(() => renderStored('exposed_credential_alert', 'en', { ...samples.exposed_credential_alert, incidentIds: ['x'] })).toThrow(
      /incidentIds/,
    );
  });

  it('refuses stored data that does not fit the purpose, naming the field, and unknown purposes', () => {
    expect(() => renderStored('password_reset', 'en', { user_name: 'Ana' })).toThrow(/"account_name"/);
    expect(() => renderStored('staff_access_changed', 'en', { ...samples.staff_access_changed, change: 'sold' })).toThrow(
      /"change" \(expected one of granted, revoked, expired\)/,
    );
    expect(() => renderStored('newsletter', 'en', {})).toThrow(/No template for messages of purpose "newsletter"/);
  });
});
