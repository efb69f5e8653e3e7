import { describe, expect, it } from 'vitest';
import { normaliseAccountLine, normaliseUserLine } from './import-lines.parser.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';

const user = {
  account: 'acme',
  realm: 'core',
  role: 'agent',
  name: 'Ana',
  email: 'Ana@Acme.test',
  created_at: '2014-01-10T00:00:00Z',
  sso: false,
  products: ['support'],
};

describe('import line formats', () => {
  it('normalises timestamps to the stored form and refuses impossible ones', () => {
    expect(normaliseTimestamp('2015-03-02T00:00:00Z')).toBe('2015-03-02T00:00:00.000Z');
    expect(normaliseTimestamp('2015-03-02T00:00:00.25Z')).toBe('2015-03-02T00:00:00.250Z');
    expect(normaliseTimestamp('2015-03-02T01:30:00+02:00')).toBe('2015-03-01T23:30:00.000Z');
    expect(normaliseTimestamp('2016-02-29T00:00:00Z')).toBe('2016-02-29T00:00:00.000Z');
    for (const bad of [
      '2015-02-29T00:00:00Z',
      '2015-02-30T00:00:00+01:00',
      '2015-13-01T00:00:00Z',
      '2015-03-02T24:00:00Z',
      '2015-03-02',
      '2015-03-02 00:00:00Z',
      'soon',
    ]) {
      expect(normaliseTimestamp(bad), bad).toBeUndefined();
    }
  });

  it('applies the documented defaults', () => {
    const result = normaliseUserLine({ ...user, password_hash: `$sha1$ab$${'0'.repeat(40)}` });
    expect(result).toEqual({
      ok: true,
      record: expect.objectContaining({
        email: 'ana@acme.test',
        active: true,
        phone: null,
        locale: null,
        password_changed_at: '2014-01-10T00:00:00.000Z',
      }),
    });
    expect(normaliseUserLine(user)).toMatchObject({ ok: true, record: { password_hash: null, password_changed_at: null } });
    const account = normaliseAccountLine({
      subdomain: 'acme',
      name: 'Acme',
      status: 'trial',
      activated_at: null,
      products: [],
      owner_email: 'o@acme.test',
    });
    expect(account).toMatchObject({
      ok: true,
      record: { locale: 'en', host_mapping: null, security_contact_email: null, activated_at: null },
    });
  });

  it('names every bad field of a line', () => {
    const result = normaliseUserLine({ ...user, realm: 'crm', sso: 'no', products: ['support', 'fax'], colour: 'blue', email: 'nobody' });
    expect(result.ok).toBe(false);
    const fields = result.ok ? [] : result.problems.map((p) => p.field);
    expect(fields.sort()).toEqual(['colour', 'email', 'products', 'realm', 'sso']);
    expect(normaliseUserLine([1, 2])).toEqual({ ok: false, problems: [{ message: 'must be a JSON object; got [1,2]' }] });
  });

  it("takes an account's created_at, optional, never after its activation", () => {
    const trial = { subdomain: 'acme', name: 'Acme', status: 'trial', activated_at: null, products: [], owner_email: 'o@acme.test' };
    expect(normaliseAccountLine(trial)).toMatchObject({ ok: true, record: { created_at: null } });
    expect(normaliseAccountLine({ ...trial, created_at: '2015-06-01T02:00:00+02:00' })).toMatchObject({
      ok: true,
      record: { created_at: '2015-06-01T00:00:00.000Z', activated_at: null },
    });
    const activated = { ...trial, status: 'active', activated_at: '2015-03-02T00:00:00Z' };
    expect(normaliseAccountLine({ ...activated, created_at: '2015-03-01T00:00:00Z' })).toMatchObject({ ok: true });
    expect(normaliseAccountLine({ ...activated, created_at: '2015-03-03T00:00:00Z' })).toEqual({
      ok: false,
      problems: [
        {
          field: 'created_at',
          message: 'is after activated_at (2015-03-02T00:00:00.000Z); an account is created before it is activated',
        },
      ],
    });
    expect(normaliseAccountLine({ ...trial, created_at: 'long ago' })).toMatchObject({ ok: false, problems: [{ field: 'created_at' }] });
  });

  it('refuses products of another realm than the user', () => {
    expect(normaliseUserLine({ ...user, products: ['sell'] })).toEqual({
      ok: false,
      problems: [{ field: 'products', message: 'has sell, which signs in through realm sell, not core' }],
    });
  });
});
