import { describe, expect, it } from 'vitest';
import { findPasswordPolicyViolations } from '../auth/passwords/password-policy.js';
import { generateStaffPassword } from './staff.service.js';

describe('generateStaffPassword', () => {
  it('draws again when a draw contains the email local part, instead of refusing to create the staff member', () => {
    const draws = ['abSAMcdefghijklmnopqrstu', 'Qm7vT2kLp9wXz4rB8nC1dF6h'];
    const password = generateStaffPassword('sam@vendor.test', () => draws.shift()!);
    expect(password).toBe('Qm7vT2kLp9wXz4rB8nC1dF6h');
    expect(draws).toHaveLength(0);
  });

  it('returns passwords the policy accepts', () => {
    for (let i = 0; i < 200; i += 1) {
      expect(findPasswordPolicyViolations(generateStaffPassword('ab1@vendor.test'), { email: 'ab1@vendor.test' })).toEqual([]);
    }
  });
});
