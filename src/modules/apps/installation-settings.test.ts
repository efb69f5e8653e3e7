import { describe, expect, it } from 'vitest';
import { findMarketplaceApp, findMarketplaceAppByName, MARKETPLACE_APPS, parseAppFields, PRIVATE_APP_FIRST_ID } from './app-definition.js';
import { checkImportedSettings, MAX_SETTING_LENGTH, planSettings, SECURE_MASK } from './installation-settings.js';

const slack = findMarketplaceAppByName('slack')!;
const SECRET = 'xoxb-4242-very-secret-token';

describe('the marketplace catalog', () => {
  it('holds real-sounding integrations, each credential marked secure, ids below the private range', () => {
    expect(MARKETPLACE_APPS.map((app) => app.name)).toEqual([
      'Slack',
      'Jira',
      'Salesforce',
      'Shopify',
      'Mailchimp',
      'Twilio',
      'GitHub',
      'PagerDuty',
    ]);
    for (const app of MARKETPLACE_APPS) {
      expect(app.id).toBeLessThan(PRIVATE_APP_FIRST_ID);
      expect(findMarketplaceApp(app.id)).toBe(app);
      expect(app.fields.some((field) => field.secure)).toBe(true);
      for (const field of app.fields) {
        if (/token|secret|password|api_key|integration_key/.test(field.name)) expect(field.secure, `${app.name}.${field.name}`).toBe(true);
      }
    }
    expect(new Set(MARKETPLACE_APPS.map((app) => app.product))).toEqual(new Set(['support', 'chat', 'talk']));
  });
});

describe('app field definitions', () => {
  it('refuses reserved, duplicate, badly named and secure non-text fields, naming each by position', () => {
    const result = parseAppFields([
      { name: 'name' },
      { name: 'api_key', secure: true },
      { name: 'api_key' },
      { name: '__proto__' },
      { name: 'retries', type: 'number', secure: true },
      { name: 'ok', colour: 'red' },
      'text',
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.field)).toEqual([
      'fields[0].name',
      'fields[2].name',
      'fields[3].name',
      'fields[4].secure',
      'fields[5].colour',
      'fields[6]',
    ]);
  });

  it('defaults type to text, secure and required to false', () => {
    expect(parseAppFields([{ name: 'endpoint' }])).toEqual({
      ok: true,
      fields: [{ name: 'endpoint', type: 'text', secure: false, required: false }],
    });
  });
});

describe('planning settings', () => {
  it('splits secure values out of the plain settings on create', () => {
    const result = planSettings(slack, { channel: '#help', notify_on_new_ticket: true, api_token: SECRET, name: 'Help desk Slack' });
    expect(result).toEqual({
      ok: true,
      plan: {
        plain: { channel: '#help', notify_on_new_ticket: true, name: 'Help desk Slack' },
        plainChanged: ['channel', 'notify_on_new_ticket', 'name'],
        secretsToSet: [{ field: 'api_token', plaintext: SECRET }],
        secretsToClear: [],
      },
    });
  });

  it('keeps a secure value sent back as the mask, rotates a new one, removes one sent as null', () => {
    const current = { plain: { channel: '#help' }, secretsSet: new Set(['api_token', 'signing_secret']) };
    const kept = planSettings(slack, { api_token: SECURE_MASK, channel: '#support', title: 'Slack' }, current);
    expect(kept.ok && kept.plan.secretsToSet).toEqual([]);
    expect(kept.ok && kept.plan.plain).toEqual({ channel: '#support' });
    const rotated = planSettings(slack, { api_token: 'xoxb-new' }, current);
    expect(rotated.ok && rotated.plan.secretsToSet).toEqual([{ field: 'api_token', plaintext: 'xoxb-new' }]);
    const removed = planSettings(slack, { signing_secret: null }, current);
    expect(removed.ok && removed.plan.secretsToClear).toEqual(['signing_secret']);
  });

  it('names every wrong setting without quoting any value', () => {
    const secretObject = { nested: SECRET };
    const result = planSettings(slack, {
      api_token: 12345,
      signing_secret: secretObject,
      channel: ['#help'],
      notify_on_new_ticket: 'yes',
      unknown_thing: SECRET,
      title: 'Not Slack',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.fromEntries(result.problems.map((p) => [p.field, p.message]))).toEqual({
      'settings.api_token': 'is a secure setting: its value must be a string',
      'settings.signing_secret': 'is a secure setting: its value must be a string',
      'settings.channel': `must be a string of at most ${MAX_SETTING_LENGTH} characters`,
      'settings.notify_on_new_ticket': 'must be true or false',
      'settings.unknown_thing': expect.stringContaining('is not a setting of app Slack') as string,
      'settings.title': expect.stringContaining('cannot be changed') as string,
    });
    expect(JSON.stringify(result.problems)).not.toContain(SECRET);
  });

  it('requires required fields on create and refuses the mask for a value never set', () => {
    const result = planSettings(slack, { api_token: SECURE_MASK });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.field)).toEqual(['settings.api_token', 'settings.channel']);
  });

  it('refuses oversized and empty secure values, and too many plain bytes', () => {
    const tooLong = planSettings(slack, { channel: '#help', api_token: 'x'.repeat(MAX_SETTING_LENGTH + 1) });
    expect(tooLong.ok).toBe(false);
    const empty = planSettings(slack, { channel: '#help', api_token: '   ' });
    expect(empty.ok).toBe(false);
    const jira = findMarketplaceAppByName('Jira')!;
    const notHttp = planSettings(jira, { jira_url: 'javascript:alert(1)', username: 'a', api_token: 't' });
    expect(!notHttp.ok && notHttp.problems).toEqual([{ field: 'settings.jira_url', message: 'must be an http or https URL' }]);
  });

  it('treats prototype keys from parsed JSON as unknown settings and pollutes nothing', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"channel":"#help"}') as Record<
      string,
      unknown
    >;
    const result = planSettings(slack, { ...input, api_token: SECRET });
    expect(!result.ok && result.problems.map((p) => p.field)).toEqual(['settings.__proto__', 'settings.constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('imported settings', () => {
  it('wants secure values under secure_settings and plain ones under settings', () => {
    const result = checkImportedSettings(slack, { channel: '#help', api_token: SECRET }, { channel: '#x', bogus: 'y', signing_secret: 7 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => [p.field, p.message])).toEqual([
      ['settings.api_token', 'is a secure setting of app Slack: give it under secure_settings, where it is encrypted'],
      ['secure_settings.channel', 'is not a secure setting of app Slack: give it under settings'],
      ['secure_settings.bogus', 'is not a secure setting of app Slack; its secure settings are api_token, signing_secret'],
      ['secure_settings.signing_secret', 'is a secure setting: its value must be a string'],
    ]);
    expect(JSON.stringify(result.problems)).not.toContain(SECRET);
  });

  it('accepts history without its required settings', () => {
    expect(checkImportedSettings(slack, undefined, { api_token: SECRET })).toEqual({
      ok: true,
      plain: {},
      secrets: [{ field: 'api_token', plaintext: SECRET }],
    });
  });
});
