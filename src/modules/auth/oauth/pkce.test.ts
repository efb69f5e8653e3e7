import { describe, expect, it } from 'vitest';
import { isCodeVerifier, isS256Challenge, s256, verifyPkce } from './pkce.js';

describe('PKCE', () => {
  // RFC 7636, appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('computes the S256 challenge of the RFC example', () => {
    expect(s256(verifier)).toBe(challenge);
    expect(isS256Challenge(challenge)).toBe(true);
    expect(verifyPkce(verifier, challenge)).toBe(true);
  });

  it('refuses a wrong, short, long or ill-formed verifier', () => {
    expect(verifyPkce(`${verifier.slice(0, -1)}A`, challenge)).toBe(false);
    expect(verifyPkce(challenge, challenge)).toBe(false);
    expect(isCodeVerifier('a'.repeat(42))).toBe(false);
    expect(isCodeVerifier('a'.repeat(129))).toBe(false);
    expect(isCodeVerifier(`${'a'.repeat(42)} `)).toBe(false);
    expect(isCodeVerifier("' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).toBe(false);
  });

  it('accepts only 43-character base64url challenges', () => {
    expect(isS256Challenge(`${challenge}=`)).toBe(false);
    expect(isS256Challenge(challenge.slice(1))).toBe(false);
    expect(isS256Challenge(challenge.replace('-', '+'))).toBe(false);
  });
});
