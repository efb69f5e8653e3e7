import net from 'node:net';
import path from 'node:path';
import { AppError } from '../errors.js';
import { settings, type Config, type SettingSpec } from './defaults.js';

export type { Config } from './defaults.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function bad(spec: SettingSpec, raw: string): AppError {
  const source = spec.flag === undefined ? spec.env : `${spec.env} / ${spec.flag}`;
  // Key material is never echoed, even when malformed.
  const shown = spec.key === 'keys' || spec.key === 'smtpUrl' || spec.key === 'metricsToken' ? 'set' : `"${raw}"`;
  return new AppError('InvalidConfiguration', `Setting ${source} is ${shown} but expects ${spec.expects}.`);
}

function parseInteger(spec: SettingSpec, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw bad(spec, raw);
  return value;
}

const isProxyAddress = (entry: string): boolean => {
  const [address = '', prefix, extra] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
};

/**
 * `false`, a hop count, or a list of proxy addresses and CIDRs: what Fastify's
 * `trustProxy` (proxy-addr) takes. A blanket `true` would take the client's
 * own leftmost X-Forwarded-For entry as its address, so it is refused.
 */
function parseTrustProxy(spec: SettingSpec, raw: string): Config['trustProxy'] {
  if (raw === 'false') return false;
  if (raw === 'true')
    throw new AppError(
      'InvalidConfiguration',
      `Setting ${spec.env} is "true", which would let any client choose its own address through X-Forwarded-For. ` +
        'Give the hop count (1 behind one load balancer) or the proxy addresses or CIDRs (10.0.0.5,fd00::/8).',
    );
  if (/^\d+$/.test(raw)) return parseInteger(spec, raw, 1, 100);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (!entries.every(isProxyAddress)) throw bad(spec, raw);
  return entries;
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

/** A plain address: one `@`, a dotted domain, nothing a header or a sentence could be broken with. */
const EMAIL = /^[^\s@<>"(),;:\\]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

function parseEmail(spec: SettingSpec, raw: string): string {
  if (raw.length > 254 || !EMAIL.test(raw)) throw bad(spec, raw);
  return raw;
}

/** `addr@domain` or `Display Name <addr@domain>`, as a mail header takes it. */
function parseMailbox(spec: SettingSpec, raw: string): string {
  const named = /^([^<>",;\r\n]{1,100}?)\s*<([^<>]+)>$/.exec(raw);
  if (named === null) return parseEmail(spec, raw);
  parseEmail(spec, named[2] ?? '');
  return raw;
}

/** One line of text for a name people read: no control characters, no angle brackets that mail clients would take for an address. */
function parseVendorName(spec: SettingSpec, raw: string): string {
  const name = raw.trim();
  // eslint-disable-next-line no-control-regex -- refusing control characters (line breaks) is the purpose of this pattern
  if (name.length === 0 || name.length > 100 || /[\u0000-\u001f\u007f<>]/.test(name)) throw bad(spec, raw);
  return name;
}

/** An absolute http(s) page address; a path is allowed, credentials are not. */
function parsePageUrl(spec: SettingSpec, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(spec, raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') throw bad(spec, raw);
  return url.toString();
}

/** `host:port`, the host an IP address or name (IPv6 in brackets), as `listen` takes it. */
function parseListenAddress(spec: SettingSpec, raw: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (match === null || Number(match[2]) > 65535) throw bad(spec, raw);
  return raw;
}

function parseSetting(spec: SettingSpec, raw: string): Config[keyof Config] {
  switch (spec.key) {
    case 'port':
    case 'httpsPort':
      return parseInteger(spec, raw, 0, 65535);
    case 'headersTimeoutMs':
    case 'requestTimeoutMs':
    case 'keepAliveTimeoutMs':
    case 'idleTimeoutMs':
      return parseInteger(spec, raw, 1, 3_600_000);
    case 'metricsToken':
      if (raw.length < 16 || /\s/.test(raw)) throw bad(spec, raw);
      return raw;
    case 'metricsAddress':
      return parseListenAddress(spec, raw);
    case 'bodyLimitBytes':
    case 'jobConcurrency':
    case 'passwordRateLimit':
    case 'passwordHashConcurrency':
    case 'smtpPoolSize':
      return parseInteger(spec, raw, 1, Number.MAX_SAFE_INTEGER);
    case 'mailRate':
      return parseInteger(spec, raw, 0, 1_000_000);
    case 'siemFileMaxBytes':
      return parseInteger(spec, raw, 1, Number.MAX_SAFE_INTEGER);
    case 'siemFileKeep':
      return parseInteger(spec, raw, 1, 100);
    case 'siemSyslogUrl':
      if (!/^(tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(raw)) throw bad(spec, raw);
      return raw;
    case 'siemFile':
      return path.resolve(raw);
    case 'passwordRefusalDelayMs':
      return parseInteger(spec, raw, 0, 60_000);
    case 'exposedAlertWindowMinutes':
      return parseInteger(spec, raw, 1, 1440);
    case 'passwordHashMemoryKib':
      return parseInteger(spec, raw, 1024, 65_536);
    case 'passwordHashTimeCost':
      return parseInteger(spec, raw, 1, 10);
    case 'retentionAuditEventsDays':
    case 'retentionSessionsDays':
    case 'retentionLoginAttemptsDays':
    case 'retentionMessageBodiesDays':
    case 'retentionLegacyHashesDays':
    case 'retentionFinishedJobsDays':
    case 'retentionSignInEventsDays':
    case 'retentionSignInAddressesDays':
    case 'retentionSecurityEventsDays':
      return parseInteger(spec, raw, 0, 36_500);
    case 'retentionBatchSize':
      return parseInteger(spec, raw, 1, 100_000);
    case 'logLevel':
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw bad(spec, raw);
      return raw;
    case 'trustProxy':
      return parseTrustProxy(spec, raw);
    case 'smtpRequireTls':
    case 'webhooksAllowPrivate':
      if (raw !== 'true' && raw !== 'false') throw bad(spec, raw);
      return raw === 'true';
    case 'smtpUrl':
      if (!/^smtps?:\/\/[^/\s]+\/?$/.test(raw)) throw bad(spec, raw);
      return raw;
    case 'publicUrl':
      return parsePublicUrl(spec, raw);
    case 'vendorName':
      return parseVendorName(spec, raw);
    case 'vendorSecurityEmail':
    case 'vendorDataProtectionEmail':
      return parseEmail(spec, raw);
    case 'mailReplyTo':
      return parseMailbox(spec, raw);
    case 'vendorSecurityPageUrl':
      return parsePageUrl(spec, raw);
    case 'databaseUrl':
      if (!/^postgres(ql)?:\/\//.test(raw)) throw bad(spec, raw);
      return raw;
    case 'baseDomain':
    case 'opsHost':
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
