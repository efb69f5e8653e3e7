import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { runOpenssl } from './openssl.js';

/** The certificate served to every name that is not an account's mapped domain. */
export interface DefaultCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** Where the embedded default keeps it: `<dataDir>/tls/default/`. */
export const defaultCertificateDir = (dataDir: string): string => path.join(dataDir, 'tls', 'default');
const CERTIFICATE_FILE = 'certificate.pem';
const KEY_FILE = 'private-key.pem';
const VALID_DAYS = 825;
/** Renewed on a start this close to its expiry, so a long-running server does not reach it. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

function readUsable(dir: string, now: Date): DefaultCertificate | undefined {
  const certificateFile = path.join(dir, CERTIFICATE_FILE);
  const keyFile = path.join(dir, KEY_FILE);
  if (!fs.existsSync(certificateFile) || !fs.existsSync(keyFile)) return undefined;
  const certificatePem = fs.readFileSync(certificateFile, 'utf8');
  const privateKeyPem = fs.readFileSync(keyFile, 'utf8');
  try {
    const certificate = new X509Certificate(certificatePem);
    const usable =
      certificate.checkPrivateKey(createPrivateKey(privateKeyPem)) && Date.parse(certificate.validTo) - now.getTime() > RENEW_BEFORE_MS;
    return usable ? { certificatePem, privateKeyPem } : undefined;
  } catch {
    return undefined;
  }
}

async function generate(parent: string, baseDomain: string): Promise<string> {
  const staging = fs.mkdtempSync(path.join(parent, '.new-'));
  const keyFile = path.join(staging, KEY_FILE);
  // prettier-ignore
  await runOpenssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', path.join(staging, CERTIFICATE_FILE), '-days', String(VALID_DAYS),
    '-subj', `/CN=${baseDomain}`,
    '-addext', `subjectAltName=DNS:${baseDomain},DNS:*.${baseDomain},IP:127.0.0.1`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ]);
  fs.chmodSync(keyFile, 0o600);
  return staging;
}

/**
 * The default certificate of the embedded default: read from
 * `<dataDir>/tls/default/` when present and not near its expiry, else made
 * self-signed by `openssl` (ECDSA P-256, names `baseDomain`, `*.baseDomain`
 * and 127.0.0.1), the key file with mode 0600. The new pair is written in a
 * staging directory and renamed into place whole, so two processes starting
 * together end up serving the same pair.
 *
 * @example
 * const { certificatePem, privateKeyPem } = await ensureDefaultCertificate('./data', 'localhost', systemClock);
 */
export async function ensureDefaultCertificate(dataDir: string, baseDomain: string, clock: Clock): Promise<DefaultCertificate> {
  const dir = defaultCertificateDir(dataDir);
  const existing = readUsable(dir, clock.now());
  if (existing !== undefined) return existing;
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  const staging = await generate(parent, baseDomain);
  // Another process may have put a usable pair in place while this one was generating: serve that one.
  const raced = readUsable(dir, clock.now());
  if (raced !== undefined) {
    fs.rmSync(staging, { recursive: true, force: true });
    return raced;
  }
  if (fs.existsSync(dir)) fs.renameSync(dir, path.join(parent, `replaced-${clock.now().getTime()}`));
  try {
    fs.renameSync(staging, dir);
  } catch {
    // Another process put its pair in place first: serve that one.
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const made = readUsable(dir, clock.now());
  if (made === undefined) {
    throw new AppError(
      'DefaultCertificateUnusable',
      `The default certificate in ${dir} cannot be read; remove the directory and start again.`,
    );
  }
  return made;
}
