/** How long a failed message waits before its next attempt, and when the courier gives up. */
export const RETRY_BASE_SECONDS = 60;
export const RETRY_MAX_SECONDS = 4 * 60 * 60;
/** 12 attempts spread over about 20 hours before a temporary failure becomes final. */
export const MAX_DELIVERY_ATTEMPTS = 12;

export interface DeliveryFailure {
  /** `permanent`: the server refused for good (5xx); `temporary`: 4xx, a dropped connection, a timeout. */
  kind: 'temporary' | 'permanent';
  /** What went wrong, for `last_error` and the report. */
  description: string;
  /** The server's own answer when it gave one. */
  response: string | null;
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/** nodemailer's codes for a refusal of the envelope (MAIL FROM, RCPT TO) or of the message (DATA). */
const MESSAGE_ERROR_CODES = ['EENVELOPE', 'EMESSAGE'];

/**
 * Sorts a nodemailer error. A 5xx reply to this message's envelope or data
 * is permanent; every other failure (4xx, connection refused or dropped,
 * timeouts) is temporary, and so is a 5xx to the login (535) or to STARTTLS:
 * that is the sender's configuration, not the message, and must not fail
 * every message for good while someone fixes it.
 */
export function classifySendError(error: unknown): DeliveryFailure {
  const fields: SmtpErrorFields = typeof error === 'object' && error !== null ? error : { message: String(error) };
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const response = typeof fields.response === 'string' ? fields.response : null;
  const message = typeof fields.message === 'string' ? fields.message : 'unknown error';
  const description = `${code ?? 'ERROR'}${responseCode === undefined ? '' : ` ${responseCode}`}: ${response ?? message}`;
  const aboutThisMessage = code === undefined || MESSAGE_ERROR_CODES.includes(code);
  const permanent = aboutThisMessage && responseCode !== undefined && responseCode >= 500 && responseCode < 600;
  return { kind: permanent ? 'permanent' : 'temporary', description: description.slice(0, 2000), response };
}

/** The wait after failed attempt `attempt` (1-based): 1, 2, 4, … minutes, at most 4 hours. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.min(20, Math.max(0, attempt - 1)));
}
