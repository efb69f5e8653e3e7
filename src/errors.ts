import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue.js';

export type { ErrorCode } from './error-catalogue.js';

/**
 * The one error type that crosses module boundaries. `code` is stable,
 * declared in the catalogue (`error-catalogue.ts`) with its status, and
 * becomes the Zendesk `error` field; `message` tells the caller what to do
 * next; `detail` is private (logged, never sent for 5xx).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** From the catalogue: one status per code. */
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly detail: string | undefined;
  /** A temporary refusal (429, 503): sent as `Retry-After`, and a 5xx carrying it is shown as is, not hidden. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; detail?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = options.details;
    this.detail = options.detail;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** Zendesk's error body: `{"error": "RecordInvalid", "description": "...", "details": {...}}`. */
export interface ErrorBody {
  error: string;
  description: string;
  details?: Record<string, unknown>;
}

export function errorBody(error: AppError): ErrorBody {
  const body: ErrorBody = { error: error.code, description: error.message };
  if (error.details !== undefined) body.details = error.details;
  return body;
}

export const notFound = (what: string): AppError =>
  new AppError('RecordNotFound', `${what} was not found. Check the id and the account you are addressing.`);

export const forbidden = (message: string): AppError => new AppError('Forbidden', message);

export const invalid = (message: string, details?: Record<string, unknown>): AppError =>
  new AppError('RecordInvalid', message, details === undefined ? {} : { details });
