/**
 * Every setting Riposte reads, in one place: its default, the environment
 * variable that overrides it, the CLI flag where there is one, and what it
 * expects. A test checks that the README's configuration table lists each
 * one, so the two cannot drift.
 */
export interface SettingSpec {
  key: keyof Config;
  env: string;
  flag?: string;
  default: string | undefined;
  expects: string;
  description: string;
}

export interface Config {
  dataDir: string;
  databaseUrl: string | undefined;
  port: number;
  httpsPort: number;
  host: string;
  baseDomain: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  keys: string | undefined;
  trustProxy: boolean;
  jobConcurrency: number;
  passwordRateLimit: number;
}

export const settings: readonly SettingSpec[] = [
  {
    key: 'dataDir',
    env: 'RIPOSTE_DATA_DIR',
    flag: '--data-dir',
    default: './data',
    expects: 'a directory path',
    description: 'Where the embedded SQLite database, the key file and the default certificate live.',
  },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    default: undefined,
    expects: 'a postgres:// URL',
    description: 'Use PostgreSQL instead of the embedded SQLite database.',
  },
  { key: 'port', env: 'PORT', flag: '--port', default: '3000', expects: 'a TCP port (0-65535)', description: 'HTTP port.' },
  {
    key: 'httpsPort',
    env: 'HTTPS_PORT',
    flag: '--https-port',
    default: '3443',
    expects: 'a TCP port (0-65535)',
    description: 'HTTPS port (SNI picks the certificate of mapped domains).',
  },
  {
    key: 'host',
    env: 'HOST',
    flag: '--host',
    default: '127.0.0.1',
    expects: 'an interface address',
    description: 'Address to listen on; 0.0.0.0 for every interface.',
  },
  {
    key: 'baseDomain',
    env: 'RIPOSTE_BASE_DOMAIN',
    flag: '--base-domain',
    default: 'localhost',
    expects: 'a domain name',
    description: 'Accounts answer on {subdomain}.{base domain}.',
  },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: '--log-level',
    default: 'info',
    expects: 'one of fatal, error, warn, info, debug, trace, silent',
    description: 'Log verbosity (pino, JSON on stdout).',
  },
  {
    key: 'bodyLimitBytes',
    env: 'RIPOSTE_BODY_LIMIT',
    default: '1048576',
    expects: 'a positive number of bytes',
    description: 'Largest request body accepted.',
  },
  {
    key: 'keys',
    env: 'RIPOSTE_KEYS',
    default: undefined,
    expects: 'comma-separated VERSION:BASE64 pairs of 32-byte keys',
    description: 'Key-encryption keys (the highest version encrypts). Unset: a key file is created in the data directory.',
  },
  {
    key: 'trustProxy',
    env: 'RIPOSTE_TRUST_PROXY',
    default: 'false',
    expects: 'true or false',
    description: 'Trust X-Forwarded-* headers from a reverse proxy.',
  },
  {
    key: 'jobConcurrency',
    env: 'RIPOSTE_JOB_CONCURRENCY',
    default: '2',
    expects: 'a positive integer',
    description: 'Background jobs run at once by this process.',
  },
];
