import type { Flag } from './schema.flag.js';

// Table types of what customers hold for their products: app installations
// with their sealed third-party keys, and TLS certificates (see schema.ts).

/** A private app of one account; marketplace apps are a data file (`modules/apps/marketplace-catalog.json`). */
export interface AppsTable {
  account_id: number;
  id: number;
  name: string;
  product: string;
  /** JSON: the app's settings fields, `[{ name, type, secure, required }]`. */
  fields: string;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}

export interface AppInstallationsTable {
  account_id: number;
  id: number;
  app_id: number;
  product: string;
  /** JSON object of the settings that are not secure; secure ones are rows of `installation_secrets`. */
  settings: string;
  enabled: Flag;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}

/** A secure setting of an installation, sealed by the keyring and bound to `<installation_id>:<field>`. */
export interface InstallationSecretsTable {
  account_id: number;
  installation_id: number;
  field: string;
  sealed: string;
  /** When the value was last set: rotating a secret means setting it again. */
  set_at: string;
}

export interface CertificatesTable {
  account_id: number;
  id: number;
  /** `expired` is stored only for imported history; otherwise an expiry shows by `not_after`. */
  state: 'pending' | 'active' | 'superseded' | 'revoked' | 'expired';
  /** JSON array of the leaf's DNS names (subjectAltName), lower-case. */
  hostnames: string;
  subject: string;
  issuer: string;
  serial_number: string;
  not_before: string;
  not_after: string;
  /** SHA-256 of the leaf's DER, `AB:CD:...` as OpenSSL prints it. */
  fingerprint_sha256: string;
  key_algorithm: 'rsa' | 'ec';
  key_bits: number;
  key_curve: string | null;
  /** The chain, leaf first: public. */
  certificate_pem: string;
  /** Sealed by the keyring, bound to (account, certificates, private_key_sealed, id). */
  private_key_sealed: string;
  source: 'upload' | 'import';
  uploaded_by: number | null;
  uploaded_at: string;
  activated_at: string | null;
  superseded_at: string | null;
  superseded_by: number | null;
  revoked_at: string | null;
  revoked_by: number | null;
}

export interface CertificateChangesTable {
  scope: string;
  version: number;
  changed_at: string;
}
