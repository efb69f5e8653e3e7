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
  publicUrl: string;
  smtpUrl: string | undefined;
  smtpRequireTls: boolean;
  smtpPoolSize: number;
  mailFrom: string;
  mailRate: number;
  retentionAuditEventsDays: number;
  retentionSessionsDays: number;
  retentionLoginAttemptsDays: number;
  retentionMessageBodiesDays: number;
  retentionLegacyHashesDays: number;
  retentionFinishedJobsDays: number;
  retentionBatchSize: number;
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
  {
    key: 'passwordRateLimit',
    env: 'RIPOSTE_PASSWORD_RATE_LIMIT',
    default: '30',
    expects: 'a positive integer',
    description: 'Password requests (sign-in, reset, password changes, staff sign-in) per client address and minute.',
  },
  {
    key: 'publicUrl',
    env: 'RIPOSTE_PUBLIC_URL',
    default: 'http://localhost:3000',
    expects: 'an absolute http:// or https:// URL without a path',
    description: 'Base of the links in mail; account pages are {scheme}://{subdomain}.{host}.',
  },
  {
    key: 'smtpUrl',
    env: 'RIPOSTE_SMTP_URL',
    default: undefined,
    expects: 'an smtp:// or smtps:// URL (user and password in it for AUTH)',
    description: 'Where the courier sends mail. Unset: each message is written as an .eml file under <data dir>/outbox/.',
  },
  {
    key: 'smtpRequireTls',
    env: 'RIPOSTE_SMTP_REQUIRE_TLS',
    default: 'true',
    expects: 'true or false',
    description: 'Refuse to send over smtp:// unless the server offers STARTTLS.',
  },
  {
    key: 'smtpPoolSize',
    env: 'RIPOSTE_SMTP_POOL_SIZE',
    default: '5',
    expects: 'a positive integer',
    description: 'SMTP connections the courier keeps open at once.',
  },
  {
    key: 'mailFrom',
    env: 'RIPOSTE_MAIL_FROM',
    default: 'Riposte <no-reply@riposte.localhost>',
    expects: 'an address, optionally with a display name: Name <addr@domain>',
    description: 'The From of every message the courier sends.',
  },
  {
    key: 'mailRate',
    env: 'RIPOSTE_MAIL_RATE',
    default: '20',
    expects: 'a whole number of messages a second (0: no limit)',
    description: 'Throttle of the courier, per process.',
  },
  ...retentionSettings(),
];

/** Retention periods (README, "Retention"): whole days after which each kind of data goes. */
function retentionSettings(): SettingSpec[] {
  const days = (key: keyof Config, env: string, value: string, description: string): SettingSpec => ({
    key,
    env,
    default: value,
    expects: 'a whole number of days (0: at the next run)',
    description,
  });
  return [
    days(
      'retentionAuditEventsDays',
      'RIPOSTE_RETENTION_AUDIT_EVENTS_DAYS',
      '1095',
      'Audit events older than this are purged (the chain stays verifiable).',
    ),
    days(
      'retentionSessionsDays',
      'RIPOSTE_RETENTION_SESSIONS_DAYS',
      '30',
      'Sessions that ended (expired or revoked) this long ago are deleted.',
    ),
    days(
      'retentionLoginAttemptsDays',
      'RIPOSTE_RETENTION_LOGIN_ATTEMPTS_DAYS',
      '30',
      'Login throttle counters idle this long are deleted.',
    ),
    days(
      'retentionMessageBodiesDays',
      'RIPOSTE_RETENTION_MESSAGE_BODIES_DAYS',
      '30',
      'Bodies of sent or failed messages are dropped; the row and state stay.',
    ),
    days(
      'retentionLegacyHashesDays',
      'RIPOSTE_RETENTION_LEGACY_HASHES_DAYS',
      '0',
      'Legacy-format password history of users whose hash was upgraded.',
    ),
    days(
      'retentionFinishedJobsDays',
      'RIPOSTE_RETENTION_FINISHED_JOBS_DAYS',
      '30',
      'Background jobs of the embedded runner (SQLite) that finished or failed this long ago are deleted, payloads with them.',
    ),
    {
      key: 'retentionBatchSize',
      env: 'RIPOSTE_RETENTION_BATCH_SIZE',
      default: '5000',
      expects: 'a positive integer',
      description: 'Rows removed per retention transaction.',
    },
  ];
}
