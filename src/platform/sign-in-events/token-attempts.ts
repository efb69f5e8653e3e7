import type { FastifyRequest } from 'fastify';
import type { SignInChannel, SignInEventLog, SignInOutcome } from './sign-in-event-log.js';

/** Records one attempt of a token channel; an attempt that names no account (unknown token, no account's host) belongs to nobody's log. */
export type TokenAttemptRecorder = (
  accountId: number | undefined,
  outcome: SignInOutcome,
  reason: string | null,
  userId: number | null,
  tokenId: number | null,
) => void;

/**
 * The recorder an authenticator of a token channel (API token, OAuth
 * Bearer) uses for one request: its address, user agent and, when the
 * channel names one, the email.
 *
 * @example
 * const attempt = tokenAttemptRecorder(deps.signInEvents, request, 'oauth_token');
 * attempt(accountId, 'failed', 'expired_token', userId, tokenId);
 */
export function tokenAttemptRecorder(
  log: SignInEventLog,
  request: FastifyRequest,
  channel: SignInChannel,
  identifier: string | null = null,
): TokenAttemptRecorder {
  return (accountId, outcome, reason, userId, tokenId) => {
    if (accountId === undefined) return;
    log.record({
      accountId,
      userId,
      channel,
      outcome,
      reason,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      identifier,
      credentialId: tokenId,
    });
  };
}
