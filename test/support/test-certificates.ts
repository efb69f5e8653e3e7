import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Real certificates for tests, made by the `openssl` command line tool:
 * keys of any kind, and certificates with explicit validity dates (past,
 * future) signed by a CA or by themselves, through `openssl ca`, which takes
 * `-startdate`/`-enddate` on every OpenSSL version (`x509 -not_before` needs
 * 3.4). Not used by the server.
 */

export type KeyKind = 'rsa2048' | 'rsa1024' | 'p256' | 'p384' | 'p521' | 'ed25519';

export interface TestCertificate {
  certificatePem: string;
  keyPem: string;
  /** `AB:CD:...`, as OpenSSL and Node print it. */
  fingerprint: string;
}

export interface IssueOptions {
  commonName: string;
  /** DNS names of the subjectAltName. */
  dnsNames?: string[];
  /** Signs with this CA; absent: self-signed. */
  issuer?: TestCertificate;
  /** A CA certificate (basicConstraints CA:true) rather than a server one. */
  isCa?: boolean;
  key?: string;
  keyKind?: KeyKind;
  notBefore?: string;
  notAfter?: string;
}

const CONFIG = `
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::SAN}
`;

const KEY_ARGS: Record<KeyKind, string[]> = {
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** `2025-01-01T00:00:00Z` → `20250101000000Z`, the form `openssl ca` takes. */
const opensslTime = (iso: string): string => `${new Date(iso).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export class CertificateWorkbench {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-certs-'));
  #counter = 0;

  constructor() {
    fs.writeFileSync(path.join(this.dir, 'ca.cnf'), CONFIG);
    fs.writeFileSync(path.join(this.dir, 'index.txt'), '');
    fs.writeFileSync(path.join(this.dir, 'serial'), '1000\n');
  }

  openssl(args: string[], env: Record<string, string> = {}): string {
    return execFileSync('openssl', args, {
      cwd: this.dir,
      env: { ...process.env, SAN: 'DNS:unused.invalid', ...env },
      stdio: 'pipe',
    }).toString();
  }

  /** A new private key, PKCS#8 PEM. */
  key(kind: KeyKind): string {
    const file = `key-${(this.#counter += 1)}.pem`;
    this.openssl(['genpkey', ...KEY_ARGS[kind], '-out', file]);
    return fs.readFileSync(path.join(this.dir, file), 'utf8');
  }

  issue(options: IssueOptions): TestCertificate {
    const n = (this.#counter += 1);
    const keyPem = options.key ?? this.key(options.keyKind ?? 'p256');
    fs.writeFileSync(path.join(this.dir, `subject-${n}.key`), keyPem);
    this.openssl(['req', '-new', '-key', `subject-${n}.key`, '-subj', `/CN=${options.commonName}`, '-out', `req-${n}.csr`]);
    const signer =
      options.issuer === undefined
        ? ['-selfsign', '-keyfile', `subject-${n}.key`]
        : [
            '-cert',
            this.#write(`issuer-${n}.pem`, options.issuer.certificatePem),
            '-keyfile',
            this.#write(`issuer-${n}.key`, options.issuer.keyPem),
          ];
    const san = (options.dnsNames ?? [options.commonName]).map((name) => `DNS:${name}`).join(',');
    // prettier-ignore
    this.openssl([
      'ca', '-batch', '-config', 'ca.cnf', '-notext', ...signer, '-in', `req-${n}.csr`, '-out', `cert-${n}.pem`,
      '-extensions', options.isCa === true ? 'v3_ca' : 'v3_leaf',
      '-startdate', opensslTime(options.notBefore ?? '2025-01-01T00:00:00Z'),
      '-enddate', opensslTime(options.notAfter ?? '2035-01-01T00:00:00Z'),
    ], { SAN: san });
    const certificatePem = fs.readFileSync(path.join(this.dir, `cert-${n}.pem`), 'utf8');
    return { certificatePem, keyPem, fingerprint: new X509Certificate(certificatePem).fingerprint256 };
  }

  #write(name: string, content: string): string {
    fs.writeFileSync(path.join(this.dir, name), content);
    return name;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The certificates most suites need, made once per test file (key generation is the slow part). */
export interface CertificateSet {
  workbench: CertificateWorkbench;
  /** Root → intermediate; leaves below are issued by the intermediate. */
  root: TestCertificate;
  intermediate: TestCertificate;
  /** RSA 2048 for help.acme.test, chain = leaf + intermediate. */
  rsaLeaf: TestCertificate;
  /** ECDSA P-256, `*.acme.test`. */
  ecWildcard: TestCertificate;
  /** ECDSA P-256 for help.acme.test: a second one, to supersede the first. */
  ecLeaf: TestCertificate;
  /** Expired on 2026-01-01 (the test clock reads 2026-06-01). */
  expired: TestCertificate;
  /** Valid only from 2027. */
  notYetValid: TestCertificate;
  /** RSA 1024. */
  weakRsa: TestCertificate;
  /** ECDSA on P-521, a curve not accepted. */
  weakCurve: TestCertificate;
  /** For help.globex.test. */
  globexLeaf: TestCertificate;
  /** A leaf of its own name only: `www.acme.test`. */
  otherHost: TestCertificate;
  /** Chain PEM: the leaf and what issued it, in order. */
  chainOf: (leaf: TestCertificate) => string;
}

export function makeCertificateSet(): CertificateSet {
  const workbench = new CertificateWorkbench();
  const root = workbench.issue({ commonName: 'Riposte Test Root', isCa: true, keyKind: 'p256', notBefore: '2024-01-01T00:00:00Z' });
  const intermediate = workbench.issue({
    commonName: 'Riposte Test Intermediate',
    isCa: true,
    issuer: root,
    notBefore: '2024-01-01T00:00:00Z',
  });
  const leaf = (options: IssueOptions): TestCertificate => workbench.issue({ issuer: intermediate, ...options });
  return {
    workbench,
    root,
    intermediate,
    rsaLeaf: leaf({ commonName: 'help.acme.test', keyKind: 'rsa2048' }),
    ecWildcard: leaf({ commonName: '*.acme.test', dnsNames: ['*.acme.test'] }),
    ecLeaf: leaf({ commonName: 'help.acme.test' }),
    expired: leaf({ commonName: 'help.acme.test', notBefore: '2025-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' }),
    notYetValid: leaf({ commonName: 'help.acme.test', notBefore: '2027-01-01T00:00:00Z', notAfter: '2028-01-01T00:00:00Z' }),
    weakRsa: leaf({ commonName: 'help.acme.test', keyKind: 'rsa1024' }),
    weakCurve: leaf({ commonName: 'help.acme.test', keyKind: 'p521' }),
    globexLeaf: leaf({ commonName: 'help.globex.test' }),
    otherHost: leaf({ commonName: 'www.acme.test' }),
    chainOf: (certificate) => `${certificate.certificatePem}${intermediate.certificatePem}`,
  };
}
