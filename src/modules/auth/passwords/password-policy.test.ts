import { describe, expect, it } from 'vitest';
import { AppError } from '../../../errors.js';
import { hashSaltedSha1 } from '../password-formats.js';
import { hashPassword, wrapLegacyHash } from './password-hashing.js';
import {
  assertPasswordAllowed,
  describePasswordPolicy,
  findPasswordPolicyViolations,
  isReusedPassword,
  PASSWORD_POLICY,
  type PasswordRule,
} from './password-policy.js';

const email = 'ana.lopez@acme.test';

async function refusal(password: string, previousHashes: string[] = [], forEmail = email): Promise<AppError> {
  const error = await assertPasswordAllowed(password, { email: forEmail, previousHashes }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const rulesOf = (error: AppError): PasswordRule[] => (error.details?.password as { rule: PasswordRule }[]).map((v) => v.rule);

describe('password policy', () => {
  it.each([
    ['min_length', 'short-pass1'],
    ['max_length', 'x'.repeat(129)],
    ['blocklisted', 'password1234'],
    ['blocklisted', 'QWERTY123456'],
    ['blocklisted', 'leavemealone'],
    ['contains_email', 'my-ANA.LOPEZ-is-long'],
  ] as const)('refuses with the rule %s, named in the message and the details', async (rule, password) => {
    const error = await refusal(password);
    expect(error.code).toBe('PasswordPolicyViolation');
    expect(error.status).toBe(422);
    expect(error.message).toContain(rule);
    expect(rulesOf(error)).toEqual([rule]);
    expect((error.details?.password as { description: string }[])[0]?.description).toMatch(/\w{4,}/);
  });

  it('accepts 12 to 128 characters, counting code points', async () => {
    await expect(assertPasswordAllowed('tulip-orbit9', { email, previousHashes: [] })).resolves.toBeUndefined();
    await expect(assertPasswordAllowed('y'.repeat(128), { email, previousHashes: [] })).resolves.toBeUndefined();
    // Eleven emoji are 22 UTF-16 units but 11 characters: too short.
    expect(findPasswordPolicyViolations('🌷'.repeat(11), { email }).map((v) => v.rule)).toEqual(['min_length']);
    expect(findPasswordPolicyViolations('🌷'.repeat(12), { email })).toEqual([]);
  });

  it('ignores an email local part shorter than 3 characters', () => {
    expect(findPasswordPolicyViolations('al-tulip-orbit-9', { email: 'al@acme.test' })).toEqual([]);
    expect(findPasswordPolicyViolations('xANAx-tulip-orbit', { email: 'ana@acme.test' }).map((v) => v.rule)).toEqual(['contains_email']);
  });

  it('names every rule a password breaks at once', async () => {
    const error = await refusal('ana.lopez', [], email);
    expect(rulesOf(error)).toEqual(['min_length', 'contains_email']);
    expect(error.message).toContain('min_length, contains_email');
  });

  it('refuses a password equal to any previous hash, in any scheme, as reused', async () => {
    const previous = [
      await hashPassword('tulip-orbit-canal-1'),
      (await wrapLegacyHash(hashSaltedSha1('tulip-orbit-canal-2', 'ab'))) ?? '',
      hashSaltedSha1('tulip-orbit-canal-3', 'cd'),
    ];
    for (const password of ['tulip-orbit-canal-1', 'tulip-orbit-canal-2', 'tulip-orbit-canal-3']) {
      expect(rulesOf(await refusal(password, previous))).toEqual(['reused']);
    }
    expect(await isReusedPassword('tulip-orbit-canal-4', previous)).toBe(false);
  });

  it('describes itself for UIs, one entry per rule', () => {
    const description = describePasswordPolicy();
    expect(description).toMatchObject({ minLength: 12, maxLength: 128, historySize: PASSWORD_POLICY.historySize });
    expect(description.rules.map((r) => r.rule)).toEqual(['min_length', 'max_length', 'blocklisted', 'contains_email', 'reused']);
    expect(description.rules.every((r) => r.description.length > 10)).toBe(true);
  });
});
