import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { settings, type Config } from './defaults.js';
import { vendorIdentity } from './vendor.js';

// The compiler checks this lists every key of Config, so a new key without a setting fails below.
const EVERY_KEY: Record<keyof Config, true> = {
  dataDir: true,
  databaseUrl: true,
  port: true,
  httpsPort: true,
  host: true,
  baseDomain: true,
  opsHost: true,
  logLevel: true,
  bodyLimitBytes: true,
  headersTimeoutMs: true,
  requestTimeoutMs: true,
  keepAliveTimeoutMs: true,
  idleTimeoutMs: true,
  metricsToken: true,
  metricsAddress: true,
  keys: true,
  trustProxy: true,
  jobConcurrency: true,
  passwordRateLimit: true,
  passwordHashConcurrency: true,
  passwordHashMemoryKib: true,
  passwordHashTimeCost: true,
  passwordRefusalDelayMs: true,
  exposedAlertWindowMinutes: true,
  publicUrl: true,
  smtpUrl: true,
  smtpRequireTls: true,
  smtpPoolSize: true,
  mailFrom: true,
  mailReplyTo: true,
  mailRate: true,
  siemFile: true,
  siemFileMaxBytes: true,
  siemFileKeep: true,
  siemSyslogUrl: true,
  webhooksAllowPrivate: true,
  vendorName: true,
  vendorSecurityEmail: true,
  vendorDataProtectionEmail: true,
  vendorSecurityPageUrl: true,
  retentionAuditEventsDays: true,
  retentionSessionsDays: true,
  retentionLoginAttemptsDays: true,
  retentionMessageBodiesDays: true,
  retentionLegacyHashesDays: true,
  retentionFinishedJobsDays: true,
  retentionSignInEventsDays: true,
  retentionSignInAddressesDays: true,
  retentionSecurityEventsDays: true,
  retentionBatchSize: true,
};

describe('configuration', () => {
  it('starts from documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      httpsPort: 3443,
      baseDomain: 'localhost',
      logLevel: 'info',
      databaseUrl: undefined,
      trustProxy: false,
      passwordRateLimit: 30,
    });
    expect(config.dataDir).toBe(path.resolve('./data'));
  });

  it('has a setting for every key of the configuration, so none is left undefined', () => {
    expect(settings.map((spec) => spec.key).sort()).toEqual(Object.keys(EVERY_KEY).sort());
  });

  it('takes the environment, and flags over the environment', () => {
    expect(loadConfig({ PORT: '8080', DATABASE_URL: 'postgres://u@h/db' }).port).toBe(8080);
    expect(loadConfig({ PORT: '8080' }, { port: '9090' }).port).toBe(9090);
    expect(loadConfig({ RIPOSTE_BASE_DOMAIN: 'Example.COM' }).baseDomain).toBe('example.com');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT / --port is "abc" but expects a TCP port'],
    [{ PORT: '70000' }, 'expects a TCP port (0-65535)'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL / --log-level is "loud" but expects one of'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL is "mysql://x" but expects a postgres:// URL'],
    [{ RIPOSTE_KEYS: 'nope' }, 'RIPOSTE_KEYS'],
    [{ RIPOSTE_TRUST_PROXY: 'yes' }, 'expects false, a hop count'],
    [{ RIPOSTE_TRUST_PROXY: 'true' }, 'Give the hop count (1 behind one load balancer) or the proxy addresses'],
    [{ RIPOSTE_TRUST_PROXY: '0' }, 'expects false, a hop count (a positive integer)'],
    [{ RIPOSTE_TRUST_PROXY: '10.0.0.0/33' }, 'or comma-separated proxy addresses or CIDRs'],
    [{ RIPOSTE_TRUST_PROXY: '10.0.0.1,proxy.internal' }, 'or comma-separated proxy addresses or CIDRs'],
    [{ RIPOSTE_PASSWORD_HASH_CONCURRENCY: '0' }, 'RIPOSTE_PASSWORD_HASH_CONCURRENCY is "0" but expects a positive integer'],
    [{ RIPOSTE_HEADERS_TIMEOUT_MS: '0' }, 'RIPOSTE_HEADERS_TIMEOUT_MS is "0" but expects a positive number of milliseconds'],
    [{ RIPOSTE_METRICS_TOKEN: 'short' }, 'RIPOSTE_METRICS_TOKEN is set but expects a secret of at least 16 characters'],
    [{ RIPOSTE_METRICS_ADDRESS: '9100' }, 'RIPOSTE_METRICS_ADDRESS is "9100" but expects host:port'],
    [
      { RIPOSTE_VENDOR_NAME: 'Acme\nBcc: x@evil.test' },
      'RIPOSTE_VENDOR_NAME is "Acme\nBcc: x@evil.test" but expects a name of 1 to 100 characters',
    ],
    [{ RIPOSTE_VENDOR_NAME: 'Acme <x@evil.test>' }, 'without < or >'],
    [{ RIPOSTE_VENDOR_SECURITY_EMAIL: 'security' }, 'RIPOSTE_VENDOR_SECURITY_EMAIL is "security" but expects an email address'],
    [
      { RIPOSTE_VENDOR_DATA_PROTECTION_EMAIL: 'dpo@acme' },
      'RIPOSTE_VENDOR_DATA_PROTECTION_EMAIL is "dpo@acme" but expects an email address',
    ],
    [
      { RIPOSTE_MAIL_REPLY_TO: 'Acme, Inc. <security@acme.example>' },
      'RIPOSTE_MAIL_REPLY_TO is "Acme, Inc. <security@acme.example>" but expects',
    ],
    [{ RIPOSTE_MAIL_REPLY_TO: 'a@b.example, c@d.example' }, 'RIPOSTE_MAIL_REPLY_TO'],
    [
      { RIPOSTE_VENDOR_SECURITY_PAGE_URL: 'javascript:alert(1)' },
      'RIPOSTE_VENDOR_SECURITY_PAGE_URL is "javascript:alert(1)" but expects an absolute',
    ],
    [{ RIPOSTE_VENDOR_SECURITY_PAGE_URL: '/security' }, 'expects an absolute https:// or http:// URL'],
  ])('stops on %j naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('trusts a proxy only by hop count or by address, never blanket', () => {
    expect(loadConfig({ RIPOSTE_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ RIPOSTE_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ RIPOSTE_TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,fd00::/8,::1' }).trustProxy).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
      '::1',
    ]);
    expect(loadConfig({}).passwordHashConcurrency).toBeUndefined();
    expect(loadConfig({ RIPOSTE_PASSWORD_HASH_CONCURRENCY: '8' }).passwordHashConcurrency).toBe(8);
  });

  it('reads the exposed-password alert window, in whole minutes from 1 to 1440', () => {
    expect(loadConfig({}).exposedAlertWindowMinutes).toBe(15);
    expect(loadConfig({ RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES: '30' }).exposedAlertWindowMinutes).toBe(30);
    expect(() => loadConfig({ RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES: '0' })).toThrow(/RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES/);
    expect(() => loadConfig({ RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES: '1441' })).toThrow(/RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES/);
  });

  it('is documented in the README, every setting with its variable and default', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    for (const spec of settings) {
      const row = readme.split('\n').find((line) => line.includes(`\`${spec.env}\``));
      expect(row, `README lists ${spec.env}`).toBeDefined();
      if (spec.default !== undefined) expect(row).toContain(`\`${spec.default}\``);
    }
  });
});

describe('the vendor identity', () => {
  it('comes from the settings, Reply-To defaulting to the security contact', () => {
    const config = loadConfig({
      RIPOSTE_VENDOR_NAME: ' Globex Cloud ',
      RIPOSTE_VENDOR_SECURITY_EMAIL: 'security@globex.example',
      RIPOSTE_VENDOR_DATA_PROTECTION_EMAIL: 'dpo@globex.example',
      RIPOSTE_VENDOR_SECURITY_PAGE_URL: 'https://globex.example/trust',
    });
    expect(vendorIdentity(config)).toEqual({
      name: 'Globex Cloud',
      securityEmail: 'security@globex.example',
      dataProtectionEmail: 'dpo@globex.example',
      replyTo: 'security@globex.example',
      securityPageUrl: 'https://globex.example/trust',
    });
    expect(vendorIdentity(loadConfig({ RIPOSTE_MAIL_REPLY_TO: 'Globex Security <answers@globex.example>' })).replyTo).toBe(
      'Globex Security <answers@globex.example>',
    );
  });

  it('takes the documented defaults for settings a partial configuration leaves out', () => {
    expect(vendorIdentity({})).toEqual(vendorIdentity(loadConfig({})));
    expect(vendorIdentity({})).toMatchObject({ name: 'Riposte', securityPageUrl: null });
  });
});

describe('key material in errors', () => {
  it('is never echoed', () => {
    expect(() => loadConfig({ RIPOSTE_KEYS: '1:c2VjcmV0a2V5 bad' })).toThrow(/RIPOSTE_KEYS is set but expects/);
    try {
      loadConfig({ RIPOSTE_KEYS: '1:c2VjcmV0a2V5 bad' });
    } catch (error) {
      expect(String(error)).not.toContain('c2VjcmV0a2V5');
    }
  });
});
