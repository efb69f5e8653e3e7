import { X509Certificate } from 'node:crypto';
import type { Account } from '../../../db/schema.js';
import { invalid } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import { decryptSecretConfidential, sealSecret, type SecretLocation } from '../../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requireRole, type Principal } from '../../accounts/principal.js';
import { spEndpointsFor } from './sp-endpoints.js';
import { findSsoConfig, saveSsoConfig, type SsoConfigRow } from './sso.repo.js';
import type { SsoConfigInput, SsoConfigView } from './sso.schema.js';

/** Where an account's JWT shared secret is sealed; the ciphertext is bound to it. */
const jwtSecretLocation = (accountId: number): SecretLocation => ({
  accountId,
  table: 'sso_configs',
  column: 'jwt_secret_sealed',
  rowId: accountId,
});

const emptyConfig = (accountId: number): SsoConfigRow => ({
  account_id: accountId,
  jwt_enabled: 0,
  jwt_secret_sealed: null,
  jwt_remote_login_url: null,
  saml_enabled: 0,
  saml_idp_sso_url: null,
  saml_idp_certificate: null,
  saml_idp_entity_id: null,
  updated_at: '',
  jwt_secret_set_at: null,
  saml_configured_at: null,
});

/** The account's SSO configuration, or the disabled default when none was saved. */
export async function loadSsoConfig(deps: ServiceDeps, accountId: number): Promise<SsoConfigRow> {
  return (await findSsoConfig(deps.db, accountId)) ?? emptyConfig(accountId);
}

/**
 * The account's JWT shared secret in clear: the confidential read, for
 * verifying a sign-in token only. Undefined when none is set.
 */
export async function getJwtSecretConfidential(deps: ServiceDeps, config: SsoConfigRow): Promise<string | undefined> {
  if (config.jwt_secret_sealed === null) return undefined;
  const accountId = Number(config.account_id);
  return decryptSecretConfidential(deps.db, deps.keyring, { ...jwtSecretLocation(accountId), sealed: config.jwt_secret_sealed });
}

/** The IdP certificate as stored: PEM, parsed by Node, refused when it has expired. */
function parseCertificate(text: string, now: Date): X509Certificate {
  const trimmed = text.trim();
  // IdP metadata carries the bare base64 of the DER; accept it as well as PEM.
  const material = trimmed.startsWith('-----BEGIN') ? trimmed : Buffer.from(trimmed.replace(/\s+/g, ''), 'base64');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(material);
  } catch {
    throw invalid(
      'The IdP certificate is not a valid X.509 certificate. Paste the PEM (-----BEGIN CERTIFICATE----- ...) your identity provider gives for signing.',
      {
        'saml.idp_certificate': [{ description: 'is not a parsable X.509 certificate' }],
      },
    );
  }
  if (new Date(certificate.validTo).getTime() <= now.getTime()) {
    throw invalid(
      `The IdP certificate expired on ${new Date(certificate.validTo).toISOString()}. Upload the identity provider's current signing certificate.`,
      {
        'saml.idp_certificate': [{ description: 'has expired' }],
      },
    );
  }
  return certificate;
}

function checkUrl(value: string | null, field: string): string | null {
  if (value === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalid(`${field} is not an absolute URL.`, { [field]: [{ description: 'must be an absolute https URL' }] });
  }
  // Plain http only for an identity provider on this machine (development).
  const local = parsed.hostname === 'localhost' || parsed.hostname.endsWith('.localhost') || parsed.hostname === '127.0.0.1';
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && local)) {
    throw invalid(`${field} must use https, so that sign-in traffic is encrypted.`, { [field]: [{ description: 'must be an https URL' }] });
  }
  return parsed.toString();
}

function present(config: SsoConfigRow, origin: string): SsoConfigView {
  const certificate = config.saml_idp_certificate === null ? undefined : new X509Certificate(config.saml_idp_certificate);
  const endpoints = spEndpointsFor(origin);
  return {
    jwt: {
      enabled: config.jwt_enabled === 1,
      shared_secret_set: config.jwt_secret_sealed !== null,
      shared_secret_set_at: config.jwt_secret_set_at,
      remote_login_url: config.jwt_remote_login_url,
    },
    saml: {
      enabled: config.saml_enabled === 1,
      idp_sso_url: config.saml_idp_sso_url,
      idp_entity_id: config.saml_idp_entity_id,
      idp_certificate: config.saml_idp_certificate,
      idp_certificate_fingerprint: certificate?.fingerprint256 ?? null,
      idp_certificate_expires_at: certificate === undefined ? null : new Date(certificate.validTo).toISOString(),
      configured_at: config.saml_configured_at,
      sp_entity_id: endpoints.entityId,
      sp_acs_url: endpoints.acsUrl,
    },
    updated_at: config.updated_at === '' ? null : config.updated_at,
  };
}

/**
 * The account's SSO configuration, for its admins. The shared secret is never
 * part of it: only whether one is set and since when.
 */
export async function showSsoConfig(deps: ServiceDeps, principal: Principal, origin: string): Promise<SsoConfigView> {
  requireRole(principal, 'admin');
  return present(await loadSsoConfig(deps, principal.account.id), origin);
}

interface MergedConfig {
  row: SsoConfigRow;
  /** Changed fields and what the audit trail may say about each (never the secret). */
  changes: Record<string, unknown>;
  newSecret: string | null | undefined;
}

function merge(current: SsoConfigRow, input: SsoConfigInput, now: Date): MergedConfig {
  const row = { ...current };
  const changes: Record<string, unknown> = {};
  const set = <K extends keyof SsoConfigRow>(column: K, field: string, value: SsoConfigRow[K], shown: unknown = value): void => {
    if (row[column] === value) return;
    row[column] = value;
    changes[field] = shown;
  };
  const { jwt, saml } = input;
  if (jwt?.enabled !== undefined) set('jwt_enabled', 'jwt.enabled', jwt.enabled ? 1 : 0, jwt.enabled);
  if (jwt?.remote_login_url !== undefined)
    set('jwt_remote_login_url', 'jwt.remote_login_url', checkUrl(jwt.remote_login_url, 'jwt.remote_login_url'));
  if (jwt?.shared_secret !== undefined) changes['jwt.shared_secret'] = jwt.shared_secret === null ? 'removed' : 'set';
  if (saml?.enabled !== undefined) set('saml_enabled', 'saml.enabled', saml.enabled ? 1 : 0, saml.enabled);
  if (saml?.idp_sso_url !== undefined) set('saml_idp_sso_url', 'saml.idp_sso_url', checkUrl(saml.idp_sso_url, 'saml.idp_sso_url'));
  if (saml?.idp_entity_id !== undefined) set('saml_idp_entity_id', 'saml.idp_entity_id', saml.idp_entity_id?.trim() ?? null);
  if (saml?.idp_certificate !== undefined) {
    const certificate = saml.idp_certificate === null ? null : parseCertificate(saml.idp_certificate, now);
    set('saml_idp_certificate', 'saml.idp_certificate', certificate?.toString() ?? null, certificate?.fingerprint256 ?? null);
  }
  return { row, changes, newSecret: jwt?.shared_secret };
}

function checkComplete(row: SsoConfigRow, secretSet: boolean): void {
  if (row.jwt_enabled === 1 && !secretSet) {
    throw invalid('JWT single sign-on needs a shared secret: send jwt.shared_secret (at least 32 characters) with jwt.enabled.', {
      'jwt.shared_secret': [{ description: 'is required when JWT SSO is enabled' }],
    });
  }
  if (row.saml_enabled === 1 && (row.saml_idp_sso_url === null || row.saml_idp_certificate === null)) {
    throw invalid("SAML single sign-on needs the identity provider's sign-in URL and signing certificate.", {
      ...(row.saml_idp_sso_url === null ? { 'saml.idp_sso_url': [{ description: 'is required when SAML SSO is enabled' }] } : {}),
      ...(row.saml_idp_certificate === null ? { 'saml.idp_certificate': [{ description: 'is required when SAML SSO is enabled' }] } : {}),
    });
  }
}

/**
 * Changes the account's SSO configuration (admins only): fields left out
 * keep their value. A new shared secret is sealed before it is stored; the
 * change and the names of the changed fields go to the audit trail in the
 * same transaction.
 *
 * @example
 * await updateSsoConfig(deps, principal, { jwt: { enabled: true, shared_secret: secret } }, 'https://acme.localhost');
 */
export async function updateSsoConfig(
  deps: ServiceDeps,
  principal: Principal,
  input: SsoConfigInput,
  origin: string,
): Promise<SsoConfigView> {
  requireRole(principal, 'admin', 'write');
  const account: Account = principal.account;
  const now = deps.clock.now();
  const saved = await deps.db.transaction().execute(async (tx) => {
    const current = (await findSsoConfig(tx, account.id)) ?? emptyConfig(account.id);
    const { row, changes, newSecret } = merge(current, input, now);
    checkComplete(row, newSecret === undefined ? current.jwt_secret_sealed !== null : newSecret !== null);
    if (Object.keys(changes).length === 0) return current;
    if (newSecret !== undefined) {
      row.jwt_secret_sealed =
        newSecret === null
          ? null
          : await sealSecret(tx, deps.keyring, deps.clock, { ...jwtSecretLocation(account.id), plaintext: newSecret });
    }
    row.updated_at = now.toISOString();
    if (newSecret !== undefined) row.jwt_secret_set_at = newSecret === null ? null : row.updated_at;
    if ('saml.idp_sso_url' in changes || 'saml.idp_certificate' in changes)
      row.saml_configured_at = row.saml_idp_certificate === null ? null : row.updated_at;
    await saveSsoConfig(tx, row);
    await recordAudit(tx, deps, {
      accountId: account.id,
      actor: { type: 'user', id: principal.user.id },
      action: 'sso_config.updated',
      target: { type: 'account', id: account.id },
      data: { changes, jwt_enabled: row.jwt_enabled === 1, saml_enabled: row.saml_enabled === 1 },
    });
    return row;
  });
  return present(saved, origin);
}
