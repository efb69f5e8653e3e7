import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { settings, type Config } from './defaults.js';

// The compiler checks this lists every key of Config, so a new key without a setting fails below.
const EVERY_KEY: Record<keyof Config, true> = {
  dataDir: true,
  databaseUrl: true,
  port: true,
  httpsPort: true,
  host: true,
  baseDomain: true,
  logLevel: true,
  bodyLimitBytes: true,
  keys: true,
  trustProxy: true,
  jobConcurrency: true,
  passwordRateLimit: true,
  publicUrl: true,
  smtpUrl: true,
  smtpRequireTls: true,
  smtpPoolSize: true,
  mailFrom: true,
  mailRate: true,
  retentionAuditEventsDays: true,
  retentionSessionsDays: true,
  retentionLoginAttemptsDays: true,
  retentionMessageBodiesDays: true,
  retentionLegacyHashesDays: true,
  retentionFinishedJobsDays: true,
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
    [{ RIPOSTE_TRUST_PROXY: 'yes' }, 'expects true or false'],
  ])('stops on %j naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
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
