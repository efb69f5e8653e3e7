import { AppError } from '../../../errors.js';

/** Why an SSO token or assertion was refused; sent as `details.reason`. */
export type SsoRefusal =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'replayed'
  | 'missing_claim'
  | 'invalid_claim'
  | 'wrong_audience'
  | 'wrong_recipient'
  | 'wrong_issuer'
  | 'idp_error';

/**
 * A refused JWT or SAML response. The message says what is wrong and what to
 * fix; it never quotes the token, which is a bearer credential until it expires.
 */
export const invalidSsoToken = (reason: SsoRefusal, message: string): AppError =>
  new AppError('InvalidSsoToken', message, { details: { reason } });

export const ssoNotEnabled = (kind: 'JWT' | 'SAML' | null): AppError =>
  new AppError(
    'SsoNotEnabled',
    `${kind === null ? 'Single sign-on' : `${kind} single sign-on`} is not enabled for this account. An admin turns it on with PUT /api/v2/account/sso.`,
  );
