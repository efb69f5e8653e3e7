import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

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
