import { reserveIds } from '../../db/sequences.js';
import { AppError } from '../../errors.js';
import { recordAudit, type Actor, type AuditEventInput } from '../../platform/audit/audit.service.js';
import { sealSecrets } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { readJsonLines } from '../../platform/json-lines/json-lines.js';
import { announceCertificateChange } from './certificate-changes.js';
import {
  CERTIFICATES_FILE,
  readCertificateLine,
  validateCertificateImport,
  type CertificateImportLine,
  type CertificateImportOptions,
  type CertificateImportPlan,
  type CertificateImportSource,
  type PlannedLine,
} from './certificates-import.validation.js';
import {
  bumpCertificateChanges,
  CERTIFICATE_ID_SEQUENCE,
  findCertificateTimelines,
  insertCertificates,
  markCertificatesSuperseded,
} from './certificates.repo.js';
import { certificateRow, PRIVATE_KEY_LOCATION } from './certificates.service.js';
import { coversAll } from './hostnames.js';

export {
  CERTIFICATES_FILE,
  validateCertificateImport,
  type CertificateImportLine,
  type CertificateImportOptions,
  type CertificateImportPlan,
  type CertificateImportSource,
} from './certificates-import.validation.js';
import { parseHostnames, type CertificateRow } from './certificates.model.js';

/** Certificates sealed and written per transaction. */
const ROWS_PER_TRANSACTION = 100;

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'handle'>;

export interface CertificateImportSummary {
  created: number;
  unchanged: number;
  active: number;
  superseded: number;
  expired: number;
  /** Certificates already in the database that an imported, later one superseded. */
  existingSuperseded: number;
}

/** A certificate on an account's timeline: one already stored, or one of the file. */
interface TimelineItem {
  uploadedAt: string;
  hostnames: string[];
  existing: { id: number; state: CertificateRow['state'] } | undefined;
  planned: PlannedLine | undefined;
  id: number;
}

interface Decision {
  state: 'active' | 'superseded' | 'expired';
  supersededBy: TimelineItem | undefined;
}

/**
 * DESIGN.md's rule for imported history: a certificate is active for its
 * host names unless it has expired or a later one covers them. Later means
 * uploaded later (the file's order breaks ties); stored certificates take
 * part, so an import can supersede what is already there, or be superseded.
 */
function decide(items: TimelineItem[], now: string): Map<TimelineItem, Decision> {
  const ordered = [...items].sort(
    (a, b) =>
      a.uploadedAt.localeCompare(b.uploadedAt) ||
      Number(a.existing === undefined) - Number(b.existing === undefined) ||
      (a.planned?.line ?? 0) - (b.planned?.line ?? 0),
  );
  const decisions = new Map<TimelineItem, Decision>();
  ordered.forEach((item, index) => {
    const supersededBy = ordered.slice(index + 1).find((later) => coversAll(later.hostnames, item.hostnames));
    const notAfter = item.planned?.notAfter ?? '';
    const state = supersededBy !== undefined ? 'superseded' : item.planned !== undefined && notAfter <= now ? 'expired' : 'active';
    decisions.set(item, { state, supersededBy });
  });
  return decisions;
}

interface PlannedWrite {
  accountId: number;
  id: number;
  planned: PlannedLine;
  decision: Decision;
}

interface WritePlan {
  byLine: Map<number, PlannedWrite>;
  /** Stored certificates to supersede, by the line of the imported certificate that supersedes them. */
  supersedeByLine: Map<number, number[]>;
  unchanged: number;
}

async function planWrites(deps: Deps, plan: CertificateImportPlan, now: string): Promise<WritePlan> {
  const subdomains = [...new Set(plan.lines.map((line) => line.subdomain))];
  const accountIds = await findAccountIdsBySubdomains(deps.db, subdomains, deps.handle.capabilities.maxParameters);
  const timelines = await findCertificateTimelines(deps.db, [...accountIds.values()], deps.handle.capabilities.maxParameters);
  const stored = new Set(timelines.map((row) => `${row.account_id} ${row.fingerprint_sha256} ${row.uploaded_at}`));
  const accountOf = (subdomain: string): number => {
    const id = accountIds.get(subdomain);
    if (id === undefined) {
      throw new AppError('ImportFailed', `Account ${subdomain} disappeared while certificates were being imported. Import again.`);
    }
    return id;
  };
  const fresh = plan.lines.filter((line) => !stored.has(`${accountOf(line.subdomain)} ${line.fingerprint} ${line.uploadedAt}`));
  const firstId = fresh.length === 0 ? 0 : await reserveIds(deps.db, CERTIFICATE_ID_SEQUENCE, fresh.length);
  const items = new Map<number, TimelineItem[]>();
  const itemsOf = (accountId: number): TimelineItem[] => items.get(accountId) ?? items.set(accountId, []).get(accountId) ?? [];
  for (const row of timelines) {
    if (row.state === 'revoked') continue;
    const existing = { id: row.id, state: row.state };
    itemsOf(row.account_id).push({
      uploadedAt: row.uploaded_at,
      hostnames: parseHostnames(row.hostnames),
      existing,
      planned: undefined,
      id: row.id,
    });
  }
  fresh.forEach((planned, index) => {
    itemsOf(accountOf(planned.subdomain)).push({
      uploadedAt: planned.uploadedAt,
      hostnames: planned.hostnames,
      existing: undefined,
      planned,
      id: firstId + index,
    });
  });
  const result: WritePlan = { byLine: new Map(), supersedeByLine: new Map(), unchanged: plan.lines.length - fresh.length };
  for (const [accountId, timeline] of items) {
    for (const [item, decision] of decide(timeline, now)) {
      if (item.planned !== undefined) {
        result.byLine.set(item.planned.line, { accountId, id: item.id, planned: item.planned, decision });
      } else if (item.existing?.state === 'active' && decision.supersededBy?.planned !== undefined) {
        const line = decision.supersededBy.planned.line;
        result.supersedeByLine.set(line, [...(result.supersedeByLine.get(line) ?? []), item.id]);
      }
    }
  }
  return result;
}

type ReadyRow = { row: CertificateRow; plaintext: string; line: number };

/** Builds the row of one line, re-read in the write pass; the line must say what it said in validation. */
function rowOf(entry: CertificateImportLine, planned: PlannedWrite, now: string): ReadyRow {
  const result = entry.ok ? readCertificateLine(entry.value, now) : undefined;
  if (result === undefined || !result.ok || result.material.fingerprintSha256 !== planned.planned.fingerprint) {
    throw new AppError(
      'ImportFailed',
      `${CERTIFICATES_FILE} changed while it was being imported (line ${entry.line} no longer matches). Import it again; certificates already written count as unchanged.`,
    );
  }
  const { decision } = planned;
  const row = certificateRow(planned.accountId, planned.id, result.material, '', {
    source: 'import',
    uploadedBy: null,
    uploadedAt: planned.planned.uploadedAt,
    state: decision.state,
  });
  // History: each imported certificate was served from its upload until it expired or was superseded.
  row.activated_at = planned.planned.uploadedAt;
  if (decision.supersededBy !== undefined) {
    row.superseded_by = decision.supersededBy.id;
    row.superseded_at = decision.supersededBy.uploadedAt;
  }
  return { row, plaintext: result.material.privateKeyPem, line: entry.line };
}

async function writeBatch(deps: Deps, batch: ReadyRow[], writes: WritePlan, actor: Actor): Promise<number> {
  const now = deps.clock.now().toISOString();
  let existingSuperseded = 0;
  await deps.db.transaction().execute(async (tx) => {
    await bumpCertificateChanges(tx, now);
    const sealed = await sealSecrets(
      tx,
      deps.keyring,
      deps.clock,
      batch.map(({ row, plaintext }) => ({ accountId: row.account_id, ...PRIVATE_KEY_LOCATION, rowId: row.id, plaintext })),
    );
    batch.forEach((ready, index) => (ready.row.private_key_sealed = sealed[index] as string));
    await insertCertificates(
      tx,
      batch.map((ready) => ready.row),
      deps.handle.capabilities.maxParameters,
    );
    const events: AuditEventInput[] = [];
    for (const { row, line } of batch) {
      events.push({
        accountId: row.account_id,
        actor,
        action: 'certificate.imported',
        target: { type: 'certificate', id: row.id },
        data: { line, fingerprint_sha256: row.fingerprint_sha256, state: row.state, uploaded_at: row.uploaded_at },
      });
      const supersede = writes.supersedeByLine.get(line) ?? [];
      await markCertificatesSuperseded(tx, row.account_id, supersede, row.id, row.uploaded_at);
      existingSuperseded += supersede.length;
      for (const id of supersede) {
        events.push({
          accountId: row.account_id,
          actor,
          action: 'certificate.superseded',
          target: { type: 'certificate', id },
          data: { superseded_by: row.id },
        });
      }
    }
    await recordAudit(tx, deps, ...events);
  });
  return existingSuperseded;
}

/**
 * Writes a validated plan: each new certificate with its key sealed, in
 * batches of a hundred per transaction, with the state the import rule
 * gives it, superseding stored certificates that a later imported one
 * covers. Lines already imported (same account, certificate and upload time)
 * count as unchanged, so importing the same file again changes nothing.
 */
export async function writeCertificateImport(
  deps: Deps,
  plan: CertificateImportPlan,
  options: CertificateImportOptions = {},
): Promise<CertificateImportSummary> {
  const now = deps.clock.now().toISOString();
  const writes = await planWrites(deps, plan, now);
  const summary: CertificateImportSummary = {
    created: 0,
    unchanged: writes.unchanged,
    active: 0,
    superseded: 0,
    expired: 0,
    existingSuperseded: 0,
  };
  let batch: ReadyRow[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    summary.existingSuperseded += await writeBatch(deps, batch, writes, options.actor ?? { type: 'cli' });
    for (const { row } of batch) {
      summary.created += 1;
      if (row.state === 'active' || row.state === 'superseded' || row.state === 'expired') summary[row.state] += 1;
    }
    batch = [];
  };
  for await (const entry of plan.source()) {
    const planned = writes.byLine.get(entry.line);
    if (planned === undefined) continue;
    batch.push(rowOf(entry, planned, now));
    if (batch.length >= ROWS_PER_TRANSACTION) await flush();
  }
  await flush();
  if (summary.created > 0) announceCertificateChange(deps.db);
  return summary;
}

/**
 * Imports certificates given as parsed lines (`records[i]` is line i + 1):
 * validation of every line first, then the writes.
 *
 * @example
 * const summary = await importCertificates(runtime, [
 *   { account: 'acme', uploaded_at: '2016-05-01T00:00:00Z', certificate_pem: chain, private_key_pem: key },
 * ]);
 */
export async function importCertificates(
  deps: Deps,
  records: readonly unknown[],
  options: CertificateImportOptions = {},
): Promise<CertificateImportSummary> {
  const source: CertificateImportSource = () => records.map((value, index) => ({ line: index + 1, ok: true as const, value }));
  return writeCertificateImport(deps, await validateCertificateImport(deps, source, options), options);
}

/** The source of a `certificates.jsonl` file, streamed on each pass. */
export const certificateFileSource =
  (file: string): CertificateImportSource =>
  () =>
    readJsonLines(file);

/**
 * Imports `certificates.jsonl` (DESIGN.md, "Import lines"): validated whole,
 * then written; importing it again changes nothing.
 *
 * @example
 * const summary = await importCertificatesFile(runtime, './export/certificates.jsonl');
 */
export async function importCertificatesFile(
  deps: Deps,
  file: string,
  options: CertificateImportOptions = {},
): Promise<CertificateImportSummary> {
  const source = certificateFileSource(file);
  return writeCertificateImport(deps, await validateCertificateImport(deps, source, options), options);
}
