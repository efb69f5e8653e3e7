import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../../../errors.js';
import { verifyStoredPassword } from './password-hashing.js';

/**
 * The password policy (NIST SP 800-63B, OWASP ASVS 2.1): length rather than
 * composition rules, a blocklist of common and breached passwords, nothing
 * derived from the email address, and no reuse of recent passwords.
 */
export const PASSWORD_POLICY = Object.freeze({
  minLength: 12,
  /** NIST asks to accept at least 64; passphrases get room to spare. */
  maxLength: 128,
  /** Besides the current password, this many previous ones may not be reused. */
  historySize: 5,
  /** The email's local part is refused inside a password only from this length (`al@` would refuse too much). */
  emailLocalPartMinLength: 3,
});

export type PasswordRule = 'min_length' | 'max_length' | 'blocklisted' | 'contains_email' | 'reused';

export interface PasswordRuleViolation {
  rule: PasswordRule;
  description: string;
}

const DESCRIPTIONS: Record<PasswordRule, string> = {
  min_length: `Use at least ${PASSWORD_POLICY.minLength} characters; a few unrelated words make a long password easy to remember.`,
  max_length: `Use at most ${PASSWORD_POLICY.maxLength} characters.`,
  blocklisted: 'This password is on a list of common or breached passwords; choose one that is not.',
  contains_email: 'Do not include the part of your email address before the @.',
  reused: `Choose a password different from your current one and your last ${PASSWORD_POLICY.historySize}.`,
};

export interface PasswordPolicyDescription {
  minLength: number;
  maxLength: number;
  historySize: number;
  rules: PasswordRuleViolation[];
}

/**
 * The policy as a UI shows it before anything is typed. Pure.
 *
 * @example
 * describePasswordPolicy().rules.map((r) => r.description); // one line per rule
 */
export function describePasswordPolicy(): PasswordPolicyDescription {
  return {
    minLength: PASSWORD_POLICY.minLength,
    maxLength: PASSWORD_POLICY.maxLength,
    historySize: PASSWORD_POLICY.historySize,
    rules: (Object.keys(DESCRIPTIONS) as PasswordRule[]).map((rule) => ({ rule, description: DESCRIPTIONS[rule] })),
  };
}

let blocklist: ReadonlySet<string> | undefined;

/** zxcvbn-ts's list of common and breached passwords (about 50,000, lower case), built into a set once. */
function blocklisted(password: string): boolean {
  blocklist ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  return blocklist.has(password.toLowerCase());
}

const violation = (rule: PasswordRule): PasswordRuleViolation => ({ rule, description: DESCRIPTIONS[rule] });

/**
 * The rules a new password breaks that need no stored hash (all but
 * `reused`), in the order a person fixes them. Lengths count Unicode code
 * points, so an emoji is one character.
 *
 * @example
 * findPasswordPolicyViolations('ana-rocks-2026', { email: 'ana@acme.test' }); // [{ rule: 'contains_email', ... }]
 */
export function findPasswordPolicyViolations(password: string, context: { email: string }): PasswordRuleViolation[] {
  const violations: PasswordRuleViolation[] = [];
  const length = [...password].length;
  if (length < PASSWORD_POLICY.minLength) violations.push(violation('min_length'));
  if (length > PASSWORD_POLICY.maxLength) violations.push(violation('max_length'));
  if (blocklisted(password)) violations.push(violation('blocklisted'));
  const at = context.email.lastIndexOf('@');
  const localPart = (at < 0 ? context.email : context.email.slice(0, at)).toLowerCase();
  if (localPart.length >= PASSWORD_POLICY.emailLocalPartMinLength && password.toLowerCase().includes(localPart)) {
    violations.push(violation('contains_email'));
  }
  return violations;
}

/** Whether `password` matches any of `previousHashes` (verified concurrently, each on the thread pool). */
export async function isReusedPassword(password: string, previousHashes: readonly string[]): Promise<boolean> {
  const verifications = await Promise.all(previousHashes.map((stored) => verifyStoredPassword(stored, password)));
  return verifications.some((verification) => verification.ok);
}

/** The 422 that refuses a new password, naming each rule it breaks. */
export function passwordPolicyViolation(violations: readonly PasswordRuleViolation[]): AppError {
  const rules = violations.map((v) => v.rule).join(', ');
  const advice = violations.map((v) => v.description).join(' ');
  return new AppError('PasswordPolicyViolation', `The new password was refused (${rules}). ${advice}`, {
    details: { password: violations.map((v) => ({ rule: v.rule, description: v.description })) },
  });
}

/**
 * Throws `PasswordPolicyViolation` (422) unless `password` passes every
 * rule. `previousHashes` are the current hash and the last
 * `PASSWORD_POLICY.historySize` ones; they are checked only when every other
 * rule passes, since each costs an argon2 verification.
 *
 * @example
 * await assertPasswordAllowed(newPassword, { email: user.email, previousHashes: [current, ...history] });
 */
export async function assertPasswordAllowed(
  password: string,
  context: { email: string; previousHashes: readonly string[] },
): Promise<void> {
  const violations = findPasswordPolicyViolations(password, context);
  if (violations.length > 0) throw passwordPolicyViolation(violations);
  if (await isReusedPassword(password, context.previousHashes)) throw passwordPolicyViolation([violation('reused')]);
}
