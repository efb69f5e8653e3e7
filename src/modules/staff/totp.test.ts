import { describe, expect, it } from 'vitest';
import { generateTotpSecret, totpCodeAt, totpUri, verifyTotpCode } from './totp.js';

// RFC 6238 appendix B, SHA-1: the ASCII secret "12345678901234567890", last six digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[number, string]> = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];
const at = (seconds: number): Date => new Date(seconds * 1000);

describe('TOTP', () => {
  it.each(RFC_VECTORS)('matches RFC 6238 at %i', async (seconds, code) => {
    expect(await totpCodeAt(RFC_SECRET, at(seconds))).toBe(code);
  });

  it('accepts one step of drift either way, nothing further, and returns the matched step', async () => {
    const now = 1234567890;
    const step = Math.floor(now / 30);
    expect(await verifyTotpCode(RFC_SECRET, '005924', at(now), null)).toBe(step);
    expect(await verifyTotpCode(RFC_SECRET, '005924', at(now + 30), null)).toBe(step);
    expect(await verifyTotpCode(RFC_SECRET, '005924', at(now - 30), null)).toBe(step);
    expect(await verifyTotpCode(RFC_SECRET, '005924', at(now + 90), null)).toBeNull();
  });

  it('refuses a code at or before the last step used, and malformed codes', async () => {
    const now = 1234567890;
    const step = Math.floor(now / 30);
    expect(await verifyTotpCode(RFC_SECRET, '005924', at(now), step)).toBeNull();
    expect(await verifyTotpCode(RFC_SECRET, '005924', at(now), step - 1)).toBe(step);
    for (const code of ['', '5924', '0059245', 'abcdef', ' 05924'])
      expect(await verifyTotpCode(RFC_SECRET, code, at(now), null)).toBeNull();
  });

  it('generates 160-bit base32 secrets and an otpauth URI for them', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(totpUri(secret, 'ana@vendor.test')).toBe(`otpauth://totp/Riposte:ana%40vendor.test?secret=${secret}&issuer=Riposte`);
  });
});
