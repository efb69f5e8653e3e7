import path from 'node:path';
import { AppError } from '../errors.js';
import { settings, type Config, type SettingSpec } from './defaults.js';

export type { Config } from './defaults.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function bad(spec: SettingSpec, raw: string): AppError {
  const source = spec.flag === undefined ? spec.env : `${spec.env} / ${spec.flag}`;
  // Key material is never echoed, even when malformed.
  const shown = spec.key === 'keys' || spec.key === 'smtpUrl' ? 'set' : `"${raw}"`;
  return new AppError('InvalidConfiguration', 500, `Setting ${source} is ${shown} but expects ${spec.expects}.`);
}

function parseInteger(spec: SettingSpec, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw bad(spec, raw);
  return value;
}

/** An absolute http(s) origin, kept without a trailing slash so links join with a path. */
function parsePublicUrl(spec: SettingSpec, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(spec, raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.username !== '')
    throw bad(spec, raw);
  return url.origin;
}

function parseSetting(spec: SettingSpec, raw: string): Config[keyof Config] {
  switch (spec.key) {
    case 'port':
    case 'httpsPort':
      return parseInteger(spec, raw, 0, 65535);
    case 'bodyLimitBytes':
    case 'jobConcurrency':
    case 'passwordRateLimit':
    case 'smtpPoolSize':
      return parseInteger(spec, raw, 1, Number.MAX_SAFE_INTEGER);
    case 'mailRate':
      return parseInteger(spec, raw, 0, 1_000_000);
    case 'retentionAuditEventsDays':
    case 'retentionSessionsDays':
    case 'retentionLoginAttemptsDays':
    case 'retentionMessageBodiesDays':
    case 'retentionLegacyHashesDays':
    case 'retentionFinishedJobsDays':
      return parseInteger(spec, raw, 0, 36_500);
    case 'retentionBatchSize':
      return parseInteger(spec, raw, 1, 100_000);
    case 'logLevel':
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw bad(spec, raw);
      return raw;
    case 'trustProxy':
    case 'smtpRequireTls':
      if (raw !== 'true' && raw !== 'false') throw bad(spec, raw);
      return raw === 'true';
    case 'smtpUrl':
      if (!/^smtps?:\/\/[^/\s]+\/?$/.test(raw)) throw bad(spec, raw);
      return raw;
    case 'publicUrl':
      return parsePublicUrl(spec, raw);
    case 'databaseUrl':
      if (!/^postgres(ql)?:\/\//.test(raw)) throw bad(spec, raw);
      return raw;
    case 'baseDomain':
      if (!/^[a-z0-9.-]+$/i.test(raw)) throw bad(spec, raw);
      return raw.toLowerCase();
    case 'keys':
      if (!/^\d+:[A-Za-z0-9+/=]+(,\d+:[A-Za-z0-9+/=]+)*$/.test(raw)) throw bad(spec, raw);
      return raw;
    case 'dataDir':
      return path.resolve(raw);
    default:
      return raw;
  }
}

/**
 * Builds the configuration from defaults, then the environment, then flags
 * (flags win). A bad value throws an `AppError` naming the setting and what it
 * expects, so the process stops before it serves anything.
 *
 * @example
 * const config = loadConfig(process.env, { port: '8080' });
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: Partial<Record<keyof Config, string | undefined>> = {}): Config {
  const config: Partial<Record<keyof Config, unknown>> = {};
  for (const spec of settings) {
    const raw = flags[spec.key] ?? env[spec.env] ?? spec.default;
    config[spec.key] = raw === undefined || raw === '' ? undefined : parseSetting(spec, raw);
  }
  return config as Config;
}
