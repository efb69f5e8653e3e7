import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { levels, type Bindings, type ChildLoggerOptions, type LogFn, type LoggerOptions } from 'pino';

/** Query parameters whose values never reach a log line. */
const SECRET_QUERY_KEYS = /^(token|access_token|refresh_token|code|code_verifier|client_secret|password|jwt|state|SAMLResponse)$/i;

export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY_KEYS.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

/**
 * Pino settings: requests are logged without headers, cookies or bodies, and
 * any field that looks like a credential is censored wherever it appears.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.previous_password',
        '*.password_hash',
        '*.token',
        '*.access_token',
        '*.refresh_token',
        '*.client_secret',
        '*.secret',
        '*.shared_secret',
        '*.private_key_pem',
        '*.secure_settings',
        '*.plaintext',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.headers.host,
        remoteAddress: request.ip,
      }),
    },
  };
}

const LOG_METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type LogMethod = (typeof LOG_METHODS)[number];

/** A level's rank, `silent` (and anything unknown) above every line's. */
const rankOf = (level: string): number => levels.values[level] ?? Number.POSITIVE_INFINITY;

/** Whether `logger` writes lines of `level`: checked before building a line no one will read. */
export const logsAt = (logger: FastifyBaseLogger, level: LogMethod): boolean => rankOf(level) >= rankOf(logger.level);

/**
 * A request's logger (Fastify's `request.log`), whose pino child is made by
 * its first line rather than for every request: making one (its bindings, run
 * through the redaction) cost about 2 µs of an API-token request's 70, and a
 * request that logs nothing, as every one does at `warn` and above, needs
 * none. Its lines are the child's, with the same bindings, level and
 * serializers.
 *
 * @example
 * Fastify({ childLoggerFactory: (logger, bindings, options) => new RequestLogger(logger, bindings, options) });
 */
export class RequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;
  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  /** Logs `args` at `method` through the child, made now if this is the request's first line. */
  logLine(method: LogMethod, args: Parameters<LogFn>): void {
    if (!logsAt(this, method)) return;
    this.#real()[method](...args);
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }
}

for (const method of LOG_METHODS) {
  RequestLogger.prototype[method] = function (this: RequestLogger, ...args: Parameters<LogFn>) {
    this.logLine(method, args);
  };
}
