import type { Queryable } from '../../db/database.js';
import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid, notFound } from '../../errors.js';
import { recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { sealSecret } from '../../platform/crypto/envelope.service.js';
import { pageWindow, type PageRequest } from '../../platform/http/pagination.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findAccountById } from '../accounts/accounts.repo.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { announceCertificateChange } from './certificate-changes.js';
import {
  checkForServing,
  checkHostname,
  checkKeyStrength,
  checkValidity,
  readCertificateMaterial,
  type CertificateMaterial,
  type CertificateProblem,
} from './certificate-validation.js';
import {
  bumpCertificateChanges,
  CERTIFICATE_ID_SEQUENCE,
  countCertificates,
  findActiveCertificates,
  findCertificate,
  findUnrevokedByFingerprint,
  insertCertificates,
  listCertificatesPage,
  markCertificateActive,
  markCertificateRevoked,
  markCertificatesSuperseded,
} from './certificates.repo.js';
import { coversAll } from './hostnames.js';
import { parseHostnames, type CertificateRecord, type CertificateRow } from './certificates.model.js';

/** Where sealed private keys live; the ciphertext is bound to this place and the certificate id. */
export const PRIVATE_KEY_LOCATION = { table: 'certificates', column: 'private_key_sealed' } as const;
/** Uploads waiting for activation; past this an account should activate or revoke, not add. */
export const MAX_PENDING_CERTIFICATES = 20;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'handle'>;

/**
 * The refusal of a certificate: a 422 whose details name the rule broken
 * (`key_mismatch`, `chain_order`, `expired`, ...) and the field to fix.
 */
export function certificateInvalid(problem: CertificateProblem): AppError {
  return new AppError('CertificateInvalid', problem.message, {
    details: { rule: problem.rule, field: problem.field, ...problem.facts },
  });
}

const actorOf = (principal: Principal): Actor => ({ type: 'user', id: principal.user.id });
const withoutKey = ({ private_key_sealed: _sealed, ...record }: CertificateRow): CertificateRecord => record;

/** The facts of a stored certificate in the shape the checks read. */
const storedFacts = (row: CertificateRecord) => ({
  keyAlgorithm: row.key_algorithm,
  keyBits: Number(row.key_bits),
  keyCurve: row.key_curve,
  notBefore: row.not_before,
  notAfter: row.not_after,
  hostnames: parseHostnames(row.hostnames),
});

async function mappedDomainOf(db: Queryable, principal: Principal): Promise<string | null> {
  const account = await findAccountById(db, principal.account.id);
  return (account ?? principal.account).host_mapping;
}

export interface CertificateUpload {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * Stores a certificate for the principal's account (admins only), pending
 * until activated. Refuses with `CertificateInvalid` (422) naming the rule:
 * `too_large`, `unparseable`, `chain_order`, `key_mismatch`,
 * `unsupported_key`, `weak_key`, `expired`, `not_yet_valid`,
 * `hostname_mismatch`. The private key is sealed by the keyring in the same
 * transaction as the row and its audit event.
 *
 * @example
 * const certificate = await uploadCertificate(deps, principal, { certificatePem: chain, privateKeyPem: key });
 * // certificate.state === 'pending'
 */
export async function uploadCertificate(deps: Deps, principal: Principal, upload: CertificateUpload): Promise<CertificateRecord> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const read = readCertificateMaterial(upload.certificatePem, upload.privateKeyPem);
  if (!read.ok) throw certificateInvalid(read.problem);
  const { material } = read;
  const problem = checkForServing(material, deps.clock.now(), await mappedDomainOf(deps.db, principal));
  if (problem !== undefined) throw certificateInvalid(problem);
  const duplicate = await findUnrevokedByFingerprint(deps.db, accountId, material.fingerprintSha256);
  if (duplicate !== undefined) {
    throw invalid(`This certificate is already uploaded as certificate ${duplicate.id} (${duplicate.state}); use that one.`, {
      fingerprint_sha256: [`already uploaded as certificate ${duplicate.id}`],
    });
  }
  if ((await countCertificates(deps.db, accountId, 'pending')) >= MAX_PENDING_CERTIFICATES) {
    throw invalid(`This account has ${MAX_PENDING_CERTIFICATES} certificates waiting for activation; activate or revoke some first.`);
  }
  return deps.db.transaction().execute(async (tx) => {
    const id = await reserveIds(tx, CERTIFICATE_ID_SEQUENCE, 1);
    const now = deps.clock.now().toISOString();
    const sealed = await sealSecret(tx, deps.keyring, deps.clock, {
      accountId,
      ...PRIVATE_KEY_LOCATION,
      rowId: id,
      plaintext: material.privateKeyPem,
    });
    const row = certificateRow(accountId, id, material, sealed, { source: 'upload', uploadedBy: principal.user.id, uploadedAt: now });
    await insertCertificates(tx, [row], deps.handle.capabilities.maxParameters);
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'certificate.uploaded',
      target: { type: 'certificate', id },
      data: { via: principal.via, fingerprint_sha256: row.fingerprint_sha256, hostnames: material.hostnames, not_after: row.not_after },
    });
    return withoutKey(row);
  });
}

/** A new row from checked material; `state` pending unless the caller says otherwise. */
export function certificateRow(
  accountId: number,
  id: number,
  material: CertificateMaterial,
  sealedKey: string,
  origin: { source: CertificateRow['source']; uploadedBy: number | null; uploadedAt: string; state?: CertificateRow['state'] },
): CertificateRow {
  const state = origin.state ?? 'pending';
  return {
    account_id: accountId,
    id,
    state,
    hostnames: JSON.stringify(material.hostnames),
    subject: material.subject,
    issuer: material.issuer,
    serial_number: material.serialNumber,
    not_before: material.notBefore,
    not_after: material.notAfter,
    fingerprint_sha256: material.fingerprintSha256,
    key_algorithm: material.keyAlgorithm,
    key_bits: material.keyBits,
    key_curve: material.keyCurve,
    certificate_pem: material.chainPem,
    private_key_sealed: sealedKey,
    source: origin.source,
    uploaded_by: origin.uploadedBy,
    uploaded_at: origin.uploadedAt,
    activated_at: state === 'active' ? origin.uploadedAt : null,
    superseded_at: null,
    superseded_by: null,
    revoked_at: null,
    revoked_by: null,
  };
}

/** The principal's account's certificates, a page at a time (admins only). */
export async function listCertificates(deps: Pick<Deps, 'db'>, principal: Principal, page: PageRequest) {
  requireRole(principal, 'admin');
  const accountId = principal.account.id;
  const rows = await listCertificatesPage(deps.db, accountId, pageWindow(page));
  return { rows, count: () => countCertificates(deps.db, accountId) };
}

export async function showCertificate(deps: Pick<Deps, 'db'>, principal: Principal, id: number): Promise<CertificateRecord> {
  requireRole(principal, 'admin');
  const row = await findCertificate(deps.db, principal.account.id, id);
  if (row === undefined) throw notFound('Certificate');
  return row;
}

const stateConflict = (row: CertificateRecord, wanted: string): AppError =>
  new AppError('CertificateStateConflict', `Certificate ${row.id} is ${row.state} and cannot be ${wanted}; upload a new certificate.`);

/**
 * Makes a certificate the one served for its host names (admins only):
 * active certificates of the account whose names it covers become
 * `superseded`. It must still be valid, strong enough and cover the
 * account's mapped domain as it is now. Serving follows at once in this
 * process and within a poll interval in every other.
 *
 * @example
 * const { certificate, superseded } = await activateCertificate(deps, principal, 12);
 */
export async function activateCertificate(
  deps: Deps,
  principal: Principal,
  id: number,
): Promise<{ certificate: CertificateRecord; superseded: number[] }> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const now = deps.clock.now();
  const at = now.toISOString();
  const result = await deps.db.transaction().execute(async (tx) => {
    await bumpCertificateChanges(tx, at);
    const row = await findCertificate(tx, accountId, id);
    if (row === undefined) throw notFound('Certificate');
    if (row.state === 'revoked') throw stateConflict(row, 'activated');
    const facts = storedFacts(row);
    const problem = checkValidity(facts, now) ?? checkKeyStrength(facts) ?? checkHostname(facts, await mappedDomainOf(tx, principal));
    if (problem !== undefined) throw certificateInvalid(problem);
    if (row.state === 'active') return { certificate: row, superseded: [], changed: false };
    const superseded = (await findActiveCertificates(tx, accountId))
      .filter((other) => other.id !== row.id && coversAll(facts.hostnames, parseHostnames(other.hostnames)))
      .map((other) => Number(other.id));
    if (!(await markCertificateActive(tx, accountId, id, at))) throw stateConflict(row, 'activated');
    await markCertificatesSuperseded(tx, accountId, superseded, id, at);
    const actor = actorOf(principal);
    await recordAudit(
      tx,
      deps,
      {
        accountId,
        actor,
        action: 'certificate.activated',
        target: { type: 'certificate', id },
        data: { via: principal.via, fingerprint_sha256: row.fingerprint_sha256, hostnames: facts.hostnames, superseded },
      },
      ...superseded.map((oldId) => ({
        accountId,
        actor,
        action: 'certificate.superseded',
        target: { type: 'certificate', id: oldId },
        data: { via: principal.via, superseded_by: id },
      })),
    );
    const activated = await findCertificate(tx, accountId, id);
    return { certificate: activated ?? row, superseded, changed: true };
  });
  if (result.changed) announceCertificateChange(deps.db);
  return { certificate: result.certificate, superseded: result.superseded };
}

/**
 * Revokes a certificate (admins only): it is no longer served, at once in
 * this process and within a poll interval in every other, and the exposure
 * inventory stops listing it. Revoking a revoked certificate changes nothing.
 */
export async function revokeCertificate(
  deps: Pick<Deps, 'db' | 'clock' | 'keyring'>,
  principal: Principal,
  id: number,
): Promise<CertificateRecord> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const at = deps.clock.now().toISOString();
  const result = await deps.db.transaction().execute(async (tx) => {
    await bumpCertificateChanges(tx, at);
    const row = await findCertificate(tx, accountId, id);
    if (row === undefined) throw notFound('Certificate');
    if (!(await markCertificateRevoked(tx, accountId, id, at, principal.user.id))) return { certificate: row, changed: false };
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'certificate.revoked',
      target: { type: 'certificate', id },
      data: { via: principal.via, fingerprint_sha256: row.fingerprint_sha256, previous_state: row.state },
    });
    return { certificate: (await findCertificate(tx, accountId, id)) ?? row, changed: true };
  });
  if (result.changed) announceCertificateChange(deps.db);
  return result.certificate;
}
