import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkForServing, readCertificateMaterial, type CertificateMaterial, type CertificateProblem } from './certificate-validation.js';
import { coversAll, hostnameMatches } from './hostnames.js';
import { makeCertificateSet, type CertificateSet, type TestCertificate } from '../../../test/support/test-certificates.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const MAPPED = 'help.acme.test';

let set: CertificateSet;
beforeAll(() => {
  set = makeCertificateSet();
});
afterAll(() => set.workbench.dispose());

function material(chain: string, key: string): CertificateMaterial {
  const result = readCertificateMaterial(chain, key);
  if (!result.ok) throw new Error(`refused: ${result.problem.rule}: ${result.problem.message}`);
  return result.material;
}

function ruleOf(chain: string, key: string, mapped: string | null = MAPPED): CertificateProblem['rule'] | 'accepted' {
  const result = readCertificateMaterial(chain, key);
  if (!result.ok) return result.problem.rule;
  return checkForServing(result.material, NOW, mapped)?.rule ?? 'accepted';
}

const pair = (leaf: TestCertificate): [string, string] => [set.chainOf(leaf), leaf.keyPem];

describe('certificate material', () => {
  it('accepts RSA 2048 and ECDSA P-256 / P-384 chains, leaf first, with or without the root', () => {
    expect(ruleOf(...pair(set.rsaLeaf))).toBe('accepted');
    expect(ruleOf(...pair(set.ecLeaf))).toBe('accepted');
    expect(ruleOf(...pair(set.ecWildcard))).toBe('accepted');
    const p384 = set.workbench.issue({ commonName: MAPPED, keyKind: 'p384', issuer: set.intermediate });
    expect(material(...pair(p384))).toMatchObject({ keyAlgorithm: 'ec', keyBits: 384, keyCurve: 'secp384r1' });
    expect(ruleOf(`${set.chainOf(set.rsaLeaf)}${set.root.certificatePem}`, set.rsaLeaf.keyPem)).toBe('accepted');
    // A leaf alone is a chain of one; whether browsers trust it is the customer's CA's business.
    expect(ruleOf(set.rsaLeaf.certificatePem, set.rsaLeaf.keyPem)).toBe('accepted');
  });

  it('reads the facts of the leaf and re-encodes the chain without surrounding text', () => {
    const chain = `subject=CN=help.acme.test\n${set.rsaLeaf.certificatePem}\nissuer=...\n${set.intermediate.certificatePem}`;
    const read = material(chain, set.rsaLeaf.keyPem);
    expect(read).toMatchObject({
      hostnames: ['help.acme.test'],
      subject: 'CN=help.acme.test',
      issuer: 'CN=Riposte Test Intermediate',
      notBefore: '2025-01-01T00:00:00.000Z',
      notAfter: '2035-01-01T00:00:00.000Z',
      fingerprintSha256: set.rsaLeaf.fingerprint,
      keyAlgorithm: 'rsa',
      keyBits: 2048,
    });
    expect(read.chainPem).toBe(set.chainOf(set.rsaLeaf));
    expect(new X509Certificate(read.chainPem).fingerprint256).toBe(set.rsaLeaf.fingerprint);
  });

  it('takes PKCS#1 RSA and SEC 1 EC keys (with their parameters block), and stores PKCS#8', () => {
    const pkcs1 = createPrivateKey(set.rsaLeaf.keyPem).export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(material(set.chainOf(set.rsaLeaf), pkcs1).privateKeyPem).toBe(set.rsaLeaf.keyPem);
    const sec1 = createPrivateKey(set.ecLeaf.keyPem).export({ type: 'sec1', format: 'pem' }) as string;
    const withParameters = `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${sec1}`;
    expect(material(set.chainOf(set.ecLeaf), withParameters).privateKeyPem).toBe(set.ecLeaf.keyPem);
  });

  it('names the rule each broken pair breaks', () => {
    expect(ruleOf(set.chainOf(set.rsaLeaf), set.ecLeaf.keyPem)).toBe('key_mismatch');
    expect(ruleOf(set.chainOf(set.ecLeaf), set.ecWildcard.keyPem)).toBe('key_mismatch');
    expect(ruleOf(`${set.intermediate.certificatePem}${set.rsaLeaf.certificatePem}`, set.rsaLeaf.keyPem)).toBe('chain_order');
    expect(ruleOf(`${set.rsaLeaf.certificatePem}${set.root.certificatePem}${set.intermediate.certificatePem}`, set.rsaLeaf.keyPem)).toBe(
      'chain_order',
    );
    expect(ruleOf(`${set.rsaLeaf.certificatePem}${set.ecLeaf.certificatePem}`, set.rsaLeaf.keyPem)).toBe('chain_order');
    expect(ruleOf(...pair(set.expired))).toBe('expired');
    expect(ruleOf(...pair(set.notYetValid))).toBe('not_yet_valid');
    expect(ruleOf(...pair(set.weakRsa))).toBe('weak_key');
    expect(ruleOf(...pair(set.weakCurve))).toBe('weak_key');
    expect(ruleOf(...pair(set.otherHost))).toBe('hostname_mismatch');
    expect(ruleOf(...pair(set.rsaLeaf), null)).toBe('hostname_mismatch');
    expect(ruleOf(...pair(set.ecWildcard), 'a.b.acme.test')).toBe('hostname_mismatch');
    expect(ruleOf(...pair(set.ecWildcard), 'acme.test')).toBe('hostname_mismatch');
    const ed25519 = set.workbench.issue({ commonName: MAPPED, keyKind: 'ed25519', issuer: set.intermediate });
    expect(ruleOf(...pair(ed25519))).toBe('unsupported_key');
  });

  it('refuses what is not a chain or not one key, without quoting the key', () => {
    const key = set.rsaLeaf.keyPem;
    const cases: Array<[string, string, string]> = [
      ['', key, 'certificate_pem'],
      ['garbage', key, 'certificate_pem'],
      [key, key, 'certificate_pem'],
      [`${set.rsaLeaf.certificatePem}${key}`, key, 'certificate_pem'],
      [set.rsaLeaf.certificatePem, '', 'private_key_pem'],
      [set.rsaLeaf.certificatePem, set.rsaLeaf.certificatePem, 'private_key_pem'],
      [set.rsaLeaf.certificatePem, `${key}${set.ecLeaf.keyPem}`, 'private_key_pem'],
      // A line missing breaks the DER lengths; altering bytes inside the private exponent could still parse.
      [
        set.rsaLeaf.certificatePem,
        key
          .split('\n')
          .filter((_, index) => index !== 3)
          .join('\n'),
        'private_key_pem',
      ],
      [
        set.rsaLeaf.certificatePem,
        createPrivateKey(key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' }) as string,
        'private_key_pem',
      ],
    ];
    for (const [chain, privateKey, field] of cases) {
      const result = readCertificateMaterial(chain, privateKey);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.problem, chain.slice(0, 40)).toMatchObject({ rule: expect.stringMatching(/^(unparseable|key_mismatch)$/), field });
      for (const line of key.split('\n').filter((l) => l.length > 40)) expect(JSON.stringify(result.problem)).not.toContain(line);
    }
    const many = Array.from({ length: 11 }, () => set.rsaLeaf.certificatePem).join('');
    expect(readCertificateMaterial(many, key)).toMatchObject({ ok: false, problem: { rule: 'too_large' } });
  });
});

describe('host names (RFC 6125)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['help.acme.test', 'help.acme.test', true],
    ['HELP.Acme.Test', 'help.acme.test.', true],
    ['*.acme.test', 'help.acme.test', true],
    ['*.acme.test', 'acme.test', false],
    ['*.acme.test', 'a.b.acme.test', false],
    ['*.test', 'acme.test', false],
    ['h*.acme.test', 'help.acme.test', false],
    ['*help.acme.test', 'help.acme.test', false],
    ['help.*.test', 'help.acme.test', false],
    ['*.*.test', 'a.acme.test', false],
    ['help.acme.test', 'other.acme.test', false],
    ['*.acme.test', '*.acme.test', false],
  ];
  it.each(cases)('%s covers %s: %s', (pattern, host, expected) => {
    expect(hostnameMatches(pattern, host)).toBe(expected);
  });

  it('agrees with OpenSSL on a real wildcard certificate', () => {
    const certificate = new X509Certificate(set.ecWildcard.certificatePem);
    for (const host of ['help.acme.test', 'acme.test', 'a.b.acme.test', 'help.acme.test.evil']) {
      const openssl = certificate.checkHost(host, { subject: 'never', partialWildcards: false, multiLabelWildcards: false }) !== undefined;
      expect(hostnameMatches('*.acme.test', host), host).toBe(openssl);
    }
  });

  it('lets a newer certificate supersede an older one only when it covers all its names', () => {
    expect(coversAll(['*.acme.test'], ['help.acme.test', 'www.acme.test'])).toBe(true);
    expect(coversAll(['help.acme.test'], ['help.acme.test', 'www.acme.test'])).toBe(false);
    expect(coversAll(['help.acme.test'], ['*.acme.test'])).toBe(false);
    expect(coversAll(['*.acme.test'], ['*.acme.test'])).toBe(true);
    expect(coversAll(['help.acme.test'], [])).toBe(false);
  });
});
