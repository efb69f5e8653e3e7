import { generate, generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 defaults, which every authenticator app uses: SHA-1, 6 digits, 30 s. */
export const TOTP_PERIOD_SECONDS = 30;
const ISSUER = 'Riposte';
const CODE = /^[0-9]{6}$/;

/** A fresh 160-bit TOTP secret, base32 as authenticator apps expect. */
export const generateTotpSecret = (): string => generateSecret();

/** The `otpauth://` URI an authenticator app scans (as a QR code) or imports. */
export const totpUri = (secret: string, email: string): string => generateURI({ issuer: ISSUER, label: email, secret });

/** The code for `at`; for tests and tooling (a person reads it from their app). */
export const totpCodeAt = (secret: string, at: Date): Promise<string> => generate({ secret, epoch: Math.floor(at.getTime() / 1000) });

/**
 * Checks a code against the step of `at` and one step either side (clock
 * drift), refusing any step at or before `lastStep`, so a code works once.
 * Returns the matched time step to remember, or null.
 *
 * @example
 * const step = await verifyTotpCode(secret, '123456', clock.now(), staff.totp_last_step);
 */
export async function verifyTotpCode(secret: string, code: string, at: Date, lastStep: number | null): Promise<number | null> {
  if (!CODE.test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(at.getTime() / 1000),
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}
