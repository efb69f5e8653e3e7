import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { anyNameMatches } from './hostnames.js';

/**
 * Reading and checking a PEM chain and its private key, with Node's own
 * X.509 and key parsers. Pure: no database, no clock of its own. Each
 * refusal names one rule, so a customer (or an import line) learns exactly
 * what to fix. Messages never quote the key.
 */

export const CERTIFICATE_RULES = [
  'too_large',
  'unparseable',
  'chain_order',
  'key_mismatch',
  'unsupported_key',
  'weak_key',
  'expired',
  'not_yet_valid',
  'hostname_mismatch',
] as const;
export type CertificateRule = (typeof CERTIFICATE_RULES)[number];
export type CertificateField = 'certificate_pem' | 'private_key_pem';

export interface CertificateProblem {
  rule: CertificateRule;
  field: CertificateField;
  message: string;
  /** Public facts about the refusal (dates, names, key size); never key material. */
  facts?: Record<string, string | number | string[] | null>;
}

/** What a valid chain and key yield: the chain to store, the key to seal, and the leaf's facts. */
export interface CertificateMaterial {
  leaf: X509Certificate;
  /** The chain, leaf first, re-encoded by the parser (text outside the blocks dropped). */
  chainPem: string;
  /** The private key as PKCS#8 PEM: the secret to seal, never to show. */
  privateKeyPem: string;
  /** The leaf's DNS names (subjectAltName), lower-case, without duplicates. */
  hostnames: string[];
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  keyAlgorithm: 'rsa' | 'ec';
  keyBits: number;
  keyCurve: string | null;
}

export type MaterialResult = { ok: true; material: CertificateMaterial } | { ok: false; problem: CertificateProblem };

/** A chain longer than this is not a server chain (a leaf, intermediates, perhaps a root). */
export const MAX_CHAIN_LENGTH = 10;
export const MAX_CHAIN_PEM_CHARS = 64 * 1024;
export const MAX_KEY_PEM_CHARS = 16 * 1024;
export const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
/** P-256 and P-384, by their OpenSSL names: what every TLS client supports. */
const ACCEPTED_CURVES: ReadonlyMap<string, { bits: number; name: string }> = new Map([
  ['prime256v1', { bits: 256, name: 'P-256' }],
  ['secp384r1', { bits: 384, name: 'P-384' }],
]);
const OTHER_CURVE_BITS: ReadonlyMap<string, number> = new Map([
  ['secp521r1', 521],
  ['secp256k1', 256],
  ['secp224r1', 224],
  ['prime192v1', 192],
]);

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----([\s\S]*?)-----END \1-----/g;
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const problem = (
  rule: CertificateRule,
  field: CertificateField,
  message: string,
  facts?: CertificateProblem['facts'],
): { ok: false; problem: CertificateProblem } => ({
  ok: false,
  problem: facts === undefined ? { rule, field, message } : { rule, field, message, facts },
});

function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1] ?? '', pem: match[0] }));
}

function parseChain(certificatePem: string): { ok: true; chain: X509Certificate[] } | { ok: false; problem: CertificateProblem } {
  const blocks = pemBlocks(certificatePem);
  if (blocks.some((block) => block.label.includes('PRIVATE KEY'))) {
    return problem('unparseable', 'certificate_pem', 'certificate_pem holds a private key. Send the key in private_key_pem only.');
  }
  if (blocks.length === 0) {
    return problem(
      'unparseable',
      'certificate_pem',
      'certificate_pem holds no "-----BEGIN CERTIFICATE-----" block. Send the chain in PEM.',
    );
  }
  const other = blocks.find((block) => block.label !== 'CERTIFICATE');
  if (other !== undefined) {
    return problem('unparseable', 'certificate_pem', `certificate_pem holds a "${other.label}" block; send only CERTIFICATE blocks.`);
  }
  if (blocks.length > MAX_CHAIN_LENGTH) {
    return problem('too_large', 'certificate_pem', `The chain holds ${blocks.length} certificates; send at most ${MAX_CHAIN_LENGTH}.`);
  }
  const chain: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block.pem));
    } catch {
      return problem('unparseable', 'certificate_pem', `Certificate ${index + 1} of certificate_pem is not a valid X.509 certificate.`);
    }
  }
  return { ok: true, chain };
}

function parseKey(privateKeyPem: string): { ok: true; key: KeyObject } | { ok: false; problem: CertificateProblem } {
  const blocks = pemBlocks(privateKeyPem).filter((block) => block.label !== 'EC PARAMETERS');
  const keyBlocks = blocks.filter((block) => block.label.endsWith('PRIVATE KEY'));
  if (blocks.some((block) => block.label === 'ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,ENCRYPTED/.test(privateKeyPem)) {
    return problem(
      'unparseable',
      'private_key_pem',
      'The private key is encrypted. Send it unencrypted (openssl pkey -in key.pem -out plain.pem).',
    );
  }
  if (keyBlocks.length !== 1 || blocks.length !== 1) {
    return problem(
      'unparseable',
      'private_key_pem',
      'private_key_pem must hold exactly one "-----BEGIN PRIVATE KEY-----" (or RSA / EC PRIVATE KEY) block and nothing else.',
    );
  }
  try {
    const key = createPrivateKey({ key: (keyBlocks[0] as { pem: string }).pem, format: 'pem' });
    return { ok: true, key };
  } catch {
    return problem(
      'unparseable',
      'private_key_pem',
      'private_key_pem is not a private key this server can read (PKCS#8, PKCS#1 or SEC 1 PEM).',
    );
  }
}

/** Each certificate is issued, and signed, by the next one: leaf first, root (if any) last. */
function chainInOrder(chain: readonly X509Certificate[]): boolean {
  for (let index = 0; index + 1 < chain.length; index += 1) {
    const child = chain[index] as X509Certificate;
    const parent = chain[index + 1] as X509Certificate;
    try {
      if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function keyMatches(leaf: X509Certificate, key: KeyObject): boolean {
  try {
    return leaf.checkPrivateKey(key);
  } catch {
    return false;
  }
}

function keyFacts(key: KeyObject): { ok: true; algorithm: 'rsa' | 'ec'; bits: number; curve: string | null } | { ok: false; type: string } {
  if (key.asymmetricKeyType === 'rsa')
    return { ok: true, algorithm: 'rsa', bits: key.asymmetricKeyDetails?.modulusLength ?? 0, curve: null };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    return { ok: true, algorithm: 'ec', bits: ACCEPTED_CURVES.get(curve)?.bits ?? OTHER_CURVE_BITS.get(curve) ?? 0, curve };
  }
  return { ok: false, type: key.asymmetricKeyType ?? 'unknown' };
}

const isoOf = (x509Date: string): string | undefined => {
  const time = Date.parse(x509Date);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
};

function dnsNames(leaf: X509Certificate): string[] {
  const names = (leaf.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase().replace(/\.$/, ''))
    .filter((name) => DNS_NAME.test(name));
  return [...new Set(names)];
}

const oneLine = (distinguishedName: string): string => distinguishedName.split('\n').join(', ');

/**
 * Parses a chain and its key and checks what makes them a usable pair: sizes,
 * PEM structure, chain order (each certificate issued by the next), and that
 * the key is the leaf's. Strength, dates and host names are separate checks,
 * because an import accepts history that an upload refuses.
 *
 * @example
 * const result = readCertificateMaterial(chainPem, keyPem);
 * if (!result.ok) throw certificateInvalid(result.problem);
 */
export function readCertificateMaterial(certificatePem: string, privateKeyPem: string): MaterialResult {
  if (certificatePem.length > MAX_CHAIN_PEM_CHARS) {
    return problem(
      'too_large',
      'certificate_pem',
      `certificate_pem is longer than ${MAX_CHAIN_PEM_CHARS} characters; send the chain only.`,
    );
  }
  if (privateKeyPem.length > MAX_KEY_PEM_CHARS) {
    return problem('too_large', 'private_key_pem', `private_key_pem is longer than ${MAX_KEY_PEM_CHARS} characters; send one key only.`);
  }
  const parsedChain = parseChain(certificatePem);
  if (!parsedChain.ok) return parsedChain;
  const parsedKey = parseKey(privateKeyPem);
  if (!parsedKey.ok) return parsedKey;
  const { chain } = parsedChain;
  const leaf = chain[0] as X509Certificate;
  if (!chainInOrder(chain)) {
    return problem(
      'chain_order',
      'certificate_pem',
      'The chain is out of order or incomplete: put the server certificate first, then each certificate that issued the one before it.',
      { subjects: chain.map((certificate) => oneLine(certificate.subject)) },
    );
  }
  if (!keyMatches(leaf, parsedKey.key)) {
    return problem(
      'key_mismatch',
      'private_key_pem',
      "The private key is not the key of the chain's first certificate. Send the key it was issued for.",
    );
  }
  const facts = keyFacts(parsedKey.key);
  if (!facts.ok) {
    return problem(
      'unsupported_key',
      'private_key_pem',
      `${facts.type} keys are not served; use RSA (2048 to 8192 bits) or ECDSA P-256 / P-384.`,
      {
        key_algorithm: facts.type,
      },
    );
  }
  const notBefore = isoOf(leaf.validFrom);
  const notAfter = isoOf(leaf.validTo);
  if (notBefore === undefined || notAfter === undefined) {
    return problem('unparseable', 'certificate_pem', 'The validity dates of the first certificate cannot be read.');
  }
  return {
    ok: true,
    material: {
      leaf,
      chainPem: `${chain.map((certificate) => certificate.toString().trim()).join('\n')}\n`,
      privateKeyPem: parsedKey.key.export({ type: 'pkcs8', format: 'pem' }) as string,
      hostnames: dnsNames(leaf),
      subject: oneLine(leaf.subject),
      issuer: oneLine(leaf.issuer),
      serialNumber: leaf.serialNumber,
      notBefore,
      notAfter,
      fingerprintSha256: leaf.fingerprint256,
      keyAlgorithm: facts.algorithm,
      keyBits: facts.bits,
      keyCurve: facts.curve,
    },
  };
}

/** RSA of 2048 to 8192 bits, or ECDSA on P-256 or P-384. */
export function checkKeyStrength(
  material: Pick<CertificateMaterial, 'keyAlgorithm' | 'keyBits' | 'keyCurve'>,
): CertificateProblem | undefined {
  if (material.keyAlgorithm === 'rsa') {
    if (material.keyBits < MIN_RSA_BITS) {
      return {
        rule: 'weak_key',
        field: 'private_key_pem',
        message: `The RSA key has ${material.keyBits} bits; at least ${MIN_RSA_BITS} are required. Issue a new certificate with a stronger key.`,
        facts: { key_algorithm: 'rsa', key_bits: material.keyBits },
      };
    }
    if (material.keyBits > MAX_RSA_BITS) {
      return {
        rule: 'unsupported_key',
        field: 'private_key_pem',
        message: `The RSA key has ${material.keyBits} bits; keys above ${MAX_RSA_BITS} bits make every handshake slow. Use 2048 to 4096 bits.`,
        facts: { key_algorithm: 'rsa', key_bits: material.keyBits },
      };
    }
    return undefined;
  }
  if (!ACCEPTED_CURVES.has(material.keyCurve ?? '')) {
    return {
      rule: 'weak_key',
      field: 'private_key_pem',
      message: `The ECDSA key is on curve ${material.keyCurve ?? 'unknown'}; only P-256 and P-384 are accepted.`,
      facts: { key_algorithm: 'ec', key_curve: material.keyCurve },
    };
  }
  return undefined;
}

/** The first certificate is valid at `now`. */
export function checkValidity(material: Pick<CertificateMaterial, 'notBefore' | 'notAfter'>, now: Date): CertificateProblem | undefined {
  const at = now.toISOString();
  if (material.notAfter <= at) {
    return {
      rule: 'expired',
      field: 'certificate_pem',
      message: `The certificate expired on ${material.notAfter}. Renew it with your certificate authority and upload the new one.`,
      facts: { not_after: material.notAfter },
    };
  }
  if (material.notBefore > at) {
    return {
      rule: 'not_yet_valid',
      field: 'certificate_pem',
      message: `The certificate is valid only from ${material.notBefore}. Upload it once that date has passed.`,
      facts: { not_before: material.notBefore },
    };
  }
  return undefined;
}

/** One of the leaf's DNS names covers the account's mapped domain (RFC 6125 wildcards). */
export function checkHostname(
  material: Pick<CertificateMaterial, 'hostnames'>,
  mappedDomain: string | null,
): CertificateProblem | undefined {
  if (mappedDomain === null) {
    return {
      rule: 'hostname_mismatch',
      field: 'certificate_pem',
      message: 'This account has no mapped domain, so no certificate can serve it. Map a domain to the account first.',
      facts: { hostnames: material.hostnames, mapped_domain: null },
    };
  }
  if (!anyNameMatches(material.hostnames, mappedDomain)) {
    const names = material.hostnames.length === 0 ? 'no DNS name (subjectAltName)' : material.hostnames.join(', ');
    return {
      rule: 'hostname_mismatch',
      field: 'certificate_pem',
      message: `The certificate names ${names}, which does not cover the account's mapped domain ${mappedDomain}.`,
      facts: { hostnames: material.hostnames, mapped_domain: mappedDomain },
    };
  }
  return undefined;
}

/** Every check an upload (or an activation) must pass, in the order a person would fix them. */
export function checkForServing(
  material: Pick<CertificateMaterial, 'keyAlgorithm' | 'keyBits' | 'keyCurve' | 'notBefore' | 'notAfter' | 'hostnames'>,
  now: Date,
  mappedDomain: string | null,
): CertificateProblem | undefined {
  return checkKeyStrength(material) ?? checkValidity(material, now) ?? checkHostname(material, mappedDomain);
}
