import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionLoss } from '../../db/failover.js';
import { AppError, errorBody, isAppError, type ErrorCode } from '../../errors.js';

/** What a client is told to wait when the database went away: about a failover's length. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Fastify's own failures, mapped to Zendesk-style codes that say what to fix. */
function fromFastifyError(error: FastifyError): AppError {
  if (error.validation !== undefined) {
    const details: Record<string, string[]> = {};
    for (const issue of error.validation) {
      const named = issue.params.missingProperty ?? issue.params.additionalProperty;
      const field = issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || (typeof named === 'string' ? named : 'request');
      (details[field] ??= []).push(issue.message ?? 'is invalid');
    }
    return new AppError('InvalidParameters', `The request's ${error.validationContext ?? 'input'} is invalid: ${error.message}.`, {
      details,
    });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PayloadTooLarge', 'The request body is larger than this server accepts; send less data per request.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UnsupportedMediaType', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('InvalidJSON', 'The request body is not valid JSON.');
    default:
      break;
  }
  if (isConnectionLoss(error)) {
    return new AppError('DatabaseUnavailable', 'The database did not answer: it is failing over or restarting.', {
      cause: error,
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    });
  }
  if (error.statusCode === 429) return new AppError('TooManyRequests', error.message);
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(CLIENT_ERROR_CODES[error.statusCode] ?? 'BadRequest', error.message);
  }
  return new AppError('InternalError', 'Something went wrong on our side.', { cause: error });
}

/** Fastify's own refusals, by status, as catalogue codes. */
const CLIENT_ERROR_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'BadRequest',
  404: 'InvalidEndpoint',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  408: 'RequestTimeout',
  413: 'PayloadTooLarge',
  414: 'UriTooLong',
  415: 'UnsupportedMediaType',
};

/** The one error boundary: logs the private detail, hides 5xx internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = isAppError(error) ? error : fromFastifyError(error);
    if (appError.retryAfterSeconds !== undefined) void reply.header('retry-after', String(appError.retryAfterSeconds));
    // A refusal that says when to retry (ServiceBusy) is load shedding by design, not a failure to hide.
    if (appError.status >= 500 && appError.retryAfterSeconds === undefined) {
      request.log.error({ err: appError.cause ?? error, detail: appError.detail, code: appError.code }, 'request failed');
      const hidden = new AppError(
        appError.code === 'InvalidConfiguration' ? 'InternalError' : appError.code,
        `Something went wrong on our side. Quote request id ${request.id} when reporting it.`,
      );
      return reply.status(appError.status).send(errorBody(hidden));
    }
    request.log.info({ code: appError.code, status: appError.status }, appError.message);
    return reply.status(appError.status).send(errorBody(appError));
  });
}
