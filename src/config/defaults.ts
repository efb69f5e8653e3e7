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
  /** Unset: the bare base domain. */
  opsHost: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  /** Unset: no token; /metrics then answers only where `metricsAddress` listens. */
  metricsToken: string | undefined;
  /** `host:port` of a listener serving only /metrics; unset: none. */
  metricsAddress: string | undefined;
  keys: string | undefined;
  /** `false`, a hop count, or the proxies' addresses and CIDRs (Fastify's `trustProxy`, proxy-addr). */
  trustProxy: false | number | string[];
  jobConcurrency: number;
  passwordRateLimit: number;
  /** Unset: four times libuv's thread pool size (`hashConcurrencyOf`). */
  passwordHashConcurrency: number | undefined;
  /** argon2id memory of new password hashes, KiB. */
  passwordHashMemoryKib: number;
  /** argon2id passes of new password hashes. */
  passwordHashTimeCost: number;
  passwordRefusalDelayMs: number;
  /** Alert mails on exposed-password attempts: at most one per recipient and account per this many minutes. */
  exposedAlertWindowMinutes: number;
  publicUrl: string;
  smtpUrl: string | undefined;
  smtpRequireTls: boolean;
  smtpPoolSize: number;
  mailFrom: string;
  /** Unset: the vendor's security contact (`vendorSecurityEmail`). */
  mailReplyTo: string | undefined;
  mailRate: number;
  /** Unset: no SIEM file. JSON lines, one per security event, rotated by size. */
  siemFile: string | undefined;
  siemFileMaxBytes: number;
  siemFileKeep: number;
  /** Unset: no syslog stream. `tcp://host:port` or `tls://host:port` (RFC 5424, octet counting). */
  siemSyslogUrl: string | undefined;
  /** Development only: webhook endpoints on this machine or a private network (http://localhost too). */
  webhooksAllowPrivate: boolean;
  /** Who the vendor is, as notices, advisories and evidence name it (`config/vendor.ts`). */
  vendorName: string;
  vendorSecurityEmail: string;
  vendorDataProtectionEmail: string;
  /** Unset: notices and evidence link to no security programme page. */
  vendorSecurityPageUrl: string | undefined;
  retentionAuditEventsDays: number;
  retentionSessionsDays: number;
  retentionLoginAttemptsDays: number;
  retentionMessageBodiesDays: number;
  retentionLegacyHashesDays: number;
  retentionFinishedJobsDays: number;
  retentionSignInEventsDays: number;
  retentionSignInAddressesDays: number;
  retentionSecurityEventsDays: number;
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
    key: 'opsHost',
    env: 'RIPOSTE_OPS_HOST',
    default: undefined,
    expects: 'a host name (no port), never an account subdomain or mapped domain',
    description: 'The only host on which the operator console (/ops/console) and API (/ops/v1) answer. Unset: the bare base domain.',
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
    key: 'headersTimeoutMs',
    env: 'RIPOSTE_HEADERS_TIMEOUT_MS',
    default: '20000',
    expects: 'a positive number of milliseconds',
    description: 'A connection that has not sent its whole request header block by then is closed (HTTP and HTTPS).',
  },
  {
    key: 'requestTimeoutMs',
    env: 'RIPOSTE_REQUEST_TIMEOUT_MS',
    default: '60000',
    expects: 'a positive number of milliseconds',
    description: 'A request (headers and body) not received in full by then gets 408 and its connection is closed.',
  },
  {
    key: 'keepAliveTimeoutMs',
    env: 'RIPOSTE_KEEP_ALIVE_TIMEOUT_MS',
    default: '72000',
    expects: 'a positive number of milliseconds',
    description: 'An idle keep-alive connection is closed after this; keep it above the load balancer idle timeout.',
  },
  {
    key: 'idleTimeoutMs',
    env: 'RIPOSTE_IDLE_TIMEOUT_MS',
    default: '120000',
    expects: 'a positive number of milliseconds',
    description: 'A socket silent both ways this long is closed (event streams send heartbeats well within it).',
  },
  {
    key: 'metricsToken',
    env: 'RIPOSTE_METRICS_TOKEN',
    default: undefined,
    expects: 'a secret of at least 16 characters, no spaces',
    description: 'When set, /metrics on the main listeners requires Authorization: Bearer <token>.',
  },
  {
    key: 'metricsAddress',
    env: 'RIPOSTE_METRICS_ADDRESS',
    default: undefined,
    expects: 'host:port (IPv6 as [::1]:9100)',
    description:
      'A separate listener serving only /metrics (no token asked there); /metrics then leaves the main listeners. Neither set: /metrics answers 404.',
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
    expects: 'false, a hop count (a positive integer), or comma-separated proxy addresses or CIDRs (IPv4 or IPv6)',
    description:
      'Which X-Forwarded-For entries name the client: behind that many proxies, or those sent by the listed proxies. Never a blanket true.',
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
    description:
      'Password verifications (sign-in, API email:password, staff sign-in, password changes and resets) per client address and minute, across accounts and routes.',
  },
  {
    key: 'passwordHashConcurrency',
    env: 'RIPOSTE_PASSWORD_HASH_CONCURRENCY',
    default: undefined,
    expects: 'a positive integer',
    description:
      'Password checks (argon2id or legacy) in flight at once per process; beyond it a fast 503 ServiceBusy. Unset: 4 × the thread pool.',
  },
  {
    key: 'passwordHashMemoryKib',
    env: 'RIPOSTE_PASSWORD_HASH_MEMORY_KIB',
    default: '19456',
    expects: 'a whole number of KiB from 1024 to 65536',
    description:
      'argon2id memory of new password hashes (OWASP minimum 19456 with 2 passes). Lower values are for tests; stored hashes keep their own.',
  },
  {
    key: 'passwordHashTimeCost',
    env: 'RIPOSTE_PASSWORD_HASH_TIME_COST',
    default: '2',
    expects: 'a whole number of passes from 1 to 10',
    description: 'argon2id passes of new password hashes. A hash stored with weaker settings is re-hashed at the next sign-in.',
  },
  {
    key: 'passwordRefusalDelayMs',
    env: 'RIPOSTE_PASSWORD_REFUSAL_DELAY_MS',
    default: '1000',
    expects: 'a whole number of milliseconds, at most 60000 (0: answer at once)',
    description:
      'How long a client past its password budget waits for its 429, so a flood over keep-alive connections slows to one request per connection and pause.',
  },
  {
    key: 'exposedAlertWindowMinutes',
    env: 'RIPOSTE_EXPOSED_ALERT_WINDOW_MINUTES',
    default: '15',
    expects: 'a whole number of minutes from 1 to 1440',
    description:
      "Attempts with a password exposed in an incident alert the operators and the account's security contact at most once per recipient and account per window; the mail summarises the window's attempts.",
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
    key: 'mailReplyTo',
    env: 'RIPOSTE_MAIL_REPLY_TO',
    default: undefined,
    expects: 'an email address, optionally with a display name: Name <addr@domain>',
    description: 'The Reply-To of every message the courier sends, where customers answer notices. Unset: the vendor security contact.',
  },
  ...vendorSettings(),
  {
    key: 'mailRate',
    env: 'RIPOSTE_MAIL_RATE',
    default: '20',
    expects: 'a whole number of messages a second (0: no limit)',
    description: 'Throttle of the courier, per process.',
  },
  ...securityEventSettings(),
  ...retentionSettings(),
];

/** Where security events go besides webhooks (README, "Security events out"). */
function securityEventSettings(): SettingSpec[] {
  return [
    {
      key: 'siemFile',
      env: 'RIPOSTE_SIEM_FILE',
      default: undefined,
      expects: 'a file path',
      description: 'Security events as JSON lines in this file, one per event, rotated by size. Unset: no file.',
    },
    {
      key: 'siemFileMaxBytes',
      env: 'RIPOSTE_SIEM_FILE_MAX_BYTES',
      default: '10485760',
      expects: 'a positive integer of bytes',
      description: 'The SIEM file is renamed to <file>.1 (older ones shift) once it would grow past this size.',
    },
    {
      key: 'siemFileKeep',
      env: 'RIPOSTE_SIEM_FILE_KEEP',
      default: '5',
      expects: 'a whole number from 1 to 100',
      description: 'Rotated SIEM files kept (<file>.1 … <file>.N); the oldest is removed.',
    },
    {
      key: 'siemSyslogUrl',
      env: 'RIPOSTE_SIEM_SYSLOG_URL',
      default: undefined,
      expects: 'tcp://host:port or tls://host:port',
      description: 'A syslog receiver for security events: RFC 5424 lines, octet-counted (RFC 6587), the event JSON as MSG.',
    },
    {
      key: 'webhooksAllowPrivate',
      env: 'RIPOSTE_WEBHOOKS_ALLOW_PRIVATE',
      default: 'false',
      expects: 'true or false',
      description: 'Development only: let webhook endpoints be on loopback or private addresses, and http://localhost.',
    },
  ];
}

/** The vendor's identity (README, "Configuration"): named in notices, advisories and evidence, never in code. */
function vendorSettings(): SettingSpec[] {
  return [
    {
      key: 'vendorName',
      env: 'RIPOSTE_VENDOR_NAME',
      default: 'Riposte',
      expects: 'a name of 1 to 100 characters on one line, without < or >',
      description: 'The vendor as customers know it: notice signatures ("The … security team"), advisory pages, the evidence.',
    },
    {
      key: 'vendorSecurityEmail',
      env: 'RIPOSTE_VENDOR_SECURITY_EMAIL',
      default: 'security@riposte.localhost',
      expects: 'an email address (security@example.com)',
      description: "The vendor's security contact: named in every notice, the evidence's processor contact point, the default Reply-To.",
    },
    {
      key: 'vendorDataProtectionEmail',
      env: 'RIPOSTE_VENDOR_DATA_PROTECTION_EMAIL',
      default: 'privacy@riposte.localhost',
      expects: 'an email address (dpo@example.com)',
      description: "The vendor's data-protection contact (DPO): named in the customer notice and the evidence.",
    },
    {
      key: 'vendorSecurityPageUrl',
      env: 'RIPOSTE_VENDOR_SECURITY_PAGE_URL',
      default: undefined,
      expects: 'an absolute https:// or http:// URL',
      description: "The vendor's security programme page, linked from notices and the evidence. Unset: no such link.",
    },
  ];
}

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
    days(
      'retentionSignInEventsDays',
      'RIPOSTE_RETENTION_SIGN_IN_EVENTS_DAYS',
      '90',
      'Sign-in events (every authentication attempt) that occurred this long ago are deleted.',
    ),
    days(
      'retentionSignInAddressesDays',
      'RIPOSTE_RETENTION_SIGN_IN_ADDRESSES_DAYS',
      '30',
      'Client addresses of older sign-in events are cut to their network (IPv4 /24, IPv6 /48).',
    ),
    days(
      'retentionSecurityEventsDays',
      'RIPOSTE_RETENTION_SECURITY_EVENTS_DAYS',
      '30',
      'Security events sent this long ago, every webhook delivery settled, are deleted with their deliveries.',
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
