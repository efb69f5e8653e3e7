import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { Account } from '../../../db/schema.js';
import type { AppError } from '../../../errors.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { getJwtSecretConfidential, loadSsoConfig } from './sso-config.service.js';
import { invalidSsoToken, ssoNotEnabled } from './sso-errors.js';
import { normalizeSsoEmail, type SsoIdentity } from './sso-sign-in.service.js';

/** How far `iat` may be from our clock, either way (Zendesk's three minutes). */
export const JWT_IAT_WINDOW_SECONDS = 180;

const MAX_CLAIM_LENGTH = 255;

/** Turns jose's refusal into one that says what to fix, without quoting the token. */
function refusal(error: unknown): AppError {
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalidSsoToken(
      'algorithm_not_allowed',
      "The JWT must be signed with HS256 and the account's shared secret; unsigned tokens (alg none) and other algorithms are refused.",
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalidSsoToken(
      'bad_signature',
      "The JWT signature does not match this account's shared secret. Sign it with the secret configured for this account.",
    );
  }
  if (error instanceof errors.JWTExpired) {
    return invalidSsoToken(
      'expired',
      `The JWT has expired: it was issued (iat) more than ${JWT_IAT_WINDOW_SECONDS / 60} minutes ago, or its exp has passed. Issue a fresh token for each sign-in and check the identity provider's clock.`,
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') {
      const what =
        error.claim === 'email' ? "the user's email address" : error.claim === 'jti' ? 'a unique token id' : 'the time it was issued';
      return invalidSsoToken(
        'missing_claim',
        `The JWT lacks its "${error.claim}" claim (${what}); every sign-in token needs iat, jti and email.`,
      );
    }
    if (error.claim === 'iat' || error.claim === 'nbf') {
      return invalidSsoToken(
        'not_yet_valid',
        `The JWT was issued in the future (more than ${JWT_IAT_WINDOW_SECONDS / 60} minutes ahead of our clock). Check the identity provider's clock.`,
      );
    }
    return invalidSsoToken('invalid_claim', `The JWT's "${error.claim}" claim is not valid.`);
  }
  if (error instanceof errors.JOSEError) {
    return invalidSsoToken('malformed', 'The jwt parameter is not a well-formed JWT (three base64url parts: header, claims, signature).');
  }
  throw error;
}

function optionalString(payload: JWTPayload, claim: string): string | null {
  const value = payload[claim];
  if (value === undefined || value === null || value === '') return null;
  if ((typeof value !== 'string' && typeof value !== 'number') || String(value).length > MAX_CLAIM_LENGTH) {
    throw invalidSsoToken('invalid_claim', `The JWT's "${claim}" claim must be a string of at most ${MAX_CLAIM_LENGTH} characters.`);
  }
  return String(value);
}

/**
 * Verifies a JWT sign-in token (Zendesk's JWT SSO) against the account's
 * shared secret: HS256 only, `iat` within three minutes of our clock, a
 * `jti` and an `email`. Returns the identity it vouches for; spending the
 * `jti` is left to {@link signInWithSso}, in the sign-in's transaction.
 *
 * @example
 * const identity = await verifySsoJwt(deps, account, request.query.jwt);
 * const { session } = await signInWithSso(deps, { account, identity, method: 'jwt', client });
 */
export async function verifySsoJwt(deps: ServiceDeps, account: Account, token: string): Promise<SsoIdentity> {
  const config = await loadSsoConfig(deps, account.id);
  const secret = config.jwt_enabled === 1 ? await getJwtSecretConfidential(deps, config) : undefined;
  if (secret === undefined) throw ssoNotEnabled('JWT');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      currentDate: deps.clock.now(),
      // With a zero maximum age, the tolerance alone bounds iat on both sides.
      maxTokenAge: 0,
      clockTolerance: JWT_IAT_WINDOW_SECONDS,
      requiredClaims: ['iat', 'jti', 'email'],
    }));
  } catch (error) {
    throw refusal(error);
  }
  const jti = optionalString(payload, 'jti');
  if (jti === null) throw invalidSsoToken('missing_claim', 'The JWT\'s "jti" claim is empty; give every sign-in token a unique id.');
  return {
    email: normalizeSsoEmail(payload['email'], 'JWT "email" claim'),
    name: optionalString(payload, 'name'),
    externalId: optionalString(payload, 'external_id'),
    assertionId: `jwt:${jti}`,
    replayableUntil: acceptedUntil(payload.iat ?? 0),
  };
}

/**
 * The end (exclusive) of the time a token issued at `iat` is accepted. jose
 * compares whole seconds: it accepts while floor(now) - iat <= the window,
 * that is through the whole last second, up to the next one.
 *
 * @example
 * acceptedUntil(1_000_000).toISOString(); // iat + 181 s: the last accepted instant is iat + 180.999 s
 */
export function acceptedUntil(iat: number): Date {
  return new Date((Math.floor(iat + JWT_IAT_WINDOW_SECONDS) + 1) * 1000);
}
