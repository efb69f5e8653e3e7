import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';

describe('courier settings', () => {
  it('default to .eml files, STARTTLS required, a pool of 5, 20 messages a second and links on localhost:3000', () => {
    expect(loadConfig({})).toMatchObject({
      smtpUrl: undefined,
      smtpRequireTls: true,
      smtpPoolSize: 5,
      mailRate: 20,
      mailFrom: 'Riposte <no-reply@riposte.localhost>',
      publicUrl: 'http://localhost:3000',
    });
  });

  it('take an SMTP URL with credentials, a rate of 0 (no limit) and a public URL, kept as an origin', () => {
    const config = loadConfig({
      RIPOSTE_SMTP_URL: 'smtp://user:p%40ss@mail.example.com:587',
      RIPOSTE_MAIL_RATE: '0',
      RIPOSTE_PUBLIC_URL: 'https://riposte.example.com/',
      RIPOSTE_SMTP_REQUIRE_TLS: 'false',
    });
    expect(config).toMatchObject({ mailRate: 0, publicUrl: 'https://riposte.example.com', smtpRequireTls: false });
  });

  it.each([
    [
      { RIPOSTE_PUBLIC_URL: 'ftp://example.com' },
      'RIPOSTE_PUBLIC_URL is "ftp://example.com" but expects an absolute http:// or https:// URL',
    ],
    [{ RIPOSTE_PUBLIC_URL: 'https://example.com/app' }, 'without a path'],
    [{ RIPOSTE_SMTP_POOL_SIZE: '0' }, 'RIPOSTE_SMTP_POOL_SIZE is "0" but expects a positive integer'],
    [{ RIPOSTE_MAIL_RATE: 'fast' }, 'RIPOSTE_MAIL_RATE is "fast"'],
    [{ RIPOSTE_SMTP_REQUIRE_TLS: 'maybe' }, 'expects true or false'],
  ])('stop on %j naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echo an SMTP URL, which may carry a password', () => {
    expect(() => loadConfig({ RIPOSTE_SMTP_URL: 'http://user:hunter2@mail.example.com' })).toThrow(
      /RIPOSTE_SMTP_URL is set but expects an smtp/,
    );
    try {
      loadConfig({ RIPOSTE_SMTP_URL: 'http://user:hunter2@mail.example.com' });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });
});
