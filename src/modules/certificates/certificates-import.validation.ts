import { AppError } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findAccountIdsBySubdomains } from '../accounts/accounts.repo.js';
import { readCertificateMaterial, type CertificateMaterial } from './certificate-validation.js';
import { normaliseTimestamp } from '../../platform/timestamps.js';
import { type FieldProblem, describeProblem, LISTED_PROBLEMS, type ImportProblem } from '../../platform/json-lines/line-problems.js';

/**
 * The first pass of the certificates import (DESIGN.md, "Import lines"):
 * every line of `certificates.jsonl` is read and checked before anything is
 * written, and only each line's facts are kept, not its PEM.
 */

export const CERTIFICATES_FILE = 'certificates.jsonl';
const FIELDS = new Set(['account', 'uploaded_at', 'certificate_pem', 'private_key_pem']);
const KEPT_PROBLEMS = 1_000;

/** One line of the file: parsed JSON, or why it is not JSON. */
export type CertificateImportLine = { line: number } & ({ ok: true; value: unknown } | { ok: false; message: string });
/** Yields the lines; called twice (validation, then writing), so a file is read twice rather than held in memory. */
export type CertificateImportSource = () => AsyncIterable<CertificateImportLine> | Iterable<CertificateImportLine>;

/** What validation keeps of a line: its facts, not its PEM. */
export interface PlannedLine {
  line: number;
  subdomain: string;
  uploadedAt: string;
  fingerprint: string;
  hostnames: string[];
  notAfter: string;
}

export interface CertificateImportPlan {
  source: CertificateImportSource;
  lines: PlannedLine[];
}

export interface CertificateImportOptions {
  actor?: Actor;
  /** Subdomains of the `accounts.jsonl` imported together with this file (not in the database yet). */
  accountsInFile?: ReadonlySet<string>;
}

export type LineResult =
  { ok: true; subdomain: string; uploadedAt: string; material: CertificateMaterial } | { ok: false; problems: FieldProblem[] };

/** Reads one line: its fields, timestamp and PEM pair; imported history is not held to the upload rules. */
export function readCertificateLine(value: unknown, now: string): LineResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ message: 'must be a JSON object' }] };
  }
  const fields = value as Record<string, unknown>;
  const problems: FieldProblem[] = Object.keys(fields)
    .filter((field) => !FIELDS.has(field))
    .map((field) => ({ field, message: `is not a field of ${CERTIFICATES_FILE} (expected ${[...FIELDS].join(', ')})` }));
  const text = (field: string): string | undefined => {
    const found = fields[field];
    if (typeof found === 'string' && found.trim() !== '') return found;
    problems.push({ field, message: found === undefined ? 'is required' : 'must be a non-empty string' });
    return undefined;
  };
  const subdomain = text('account');
  const uploadedText = text('uploaded_at');
  const certificatePem = text('certificate_pem');
  const privateKeyPem = text('private_key_pem');
  const uploadedAt = uploadedText === undefined ? undefined : normaliseTimestamp(uploadedText);
  if (uploadedText !== undefined && uploadedAt === undefined) {
    problems.push({ field: 'uploaded_at', message: 'must be an ISO-8601 timestamp such as 2016-05-01T00:00:00Z' });
  } else if (uploadedAt !== undefined && uploadedAt > now) {
    problems.push({ field: 'uploaded_at', message: `is in the future (${uploadedAt})` });
  }
  if (certificatePem === undefined || privateKeyPem === undefined || subdomain === undefined || uploadedAt === undefined) {
    return { ok: false, problems };
  }
  // Imported history is accepted as it was (expired, weak, for a domain since remapped); only a broken pair is refused.
  const read = readCertificateMaterial(certificatePem, privateKeyPem);
  if (!read.ok) problems.push({ field: read.problem.field, message: `${read.problem.rule}: ${read.problem.message}` });
  if (problems.length > 0 || !read.ok) return { ok: false, problems };
  return { ok: true, subdomain, uploadedAt, material: read.material };
}

function refusal(problems: ImportProblem[], total: number): AppError {
  const listed = [...problems].sort((a, b) => a.line - b.line).slice(0, LISTED_PROBLEMS);
  const lines = listed.map((p) => `  ${describeProblem(p)}`);
  if (total > listed.length) lines.push(`  and ${(total - listed.length).toLocaleString('en-US')} more`);
  const count = total === 1 ? '1 problem' : `${total.toLocaleString('en-US')} problems`;
  return new AppError(
    'ImportInvalid',
    `No certificate was imported: ${count} in ${CERTIFICATES_FILE}. Fix them and import again.\n${lines.join('\n')}`,
    {
      details: { problems: listed, total },
    },
  );
}

/**
 * Reads every line once and checks it (fields, timestamp, PEM structure,
 * chain order, key match, known account, no repeated line); any problem
 * refuses the whole file (`ImportInvalid`, naming line and field) before
 * anything is written. Keeps only each line's facts, not its PEM.
 */
export async function validateCertificateImport(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'handle'>,
  source: CertificateImportSource,
  options: CertificateImportOptions = {},
): Promise<CertificateImportPlan> {
  const now = deps.clock.now().toISOString();
  const problems: ImportProblem[] = [];
  let total = 0;
  const add = (problem: ImportProblem): void => {
    total += 1;
    if (problems.length < KEPT_PROBLEMS) problems.push(problem);
  };
  const lines: PlannedLine[] = [];
  const seen = new Map<string, number>();
  for await (const entry of source()) {
    const result = entry.ok ? readCertificateLine(entry.value, now) : { ok: false as const, problems: [{ message: entry.message }] };
    if (!result.ok) {
      for (const found of result.problems) add({ file: CERTIFICATES_FILE, line: entry.line, ...found });
      continue;
    }
    const key = `${result.subdomain} ${result.material.fingerprintSha256} ${result.uploadedAt}`;
    const firstLine = seen.get(key);
    if (firstLine !== undefined) {
      add({
        file: CERTIFICATES_FILE,
        line: entry.line,
        field: 'certificate_pem',
        message: `repeats line ${firstLine} (same account, certificate and upload time)`,
      });
      continue;
    }
    seen.set(key, entry.line);
    const { material } = result;
    lines.push({
      line: entry.line,
      subdomain: result.subdomain,
      uploadedAt: result.uploadedAt,
      fingerprint: material.fingerprintSha256,
      hostnames: material.hostnames,
      notAfter: material.notAfter,
    });
  }
  const named = [...new Set(lines.map((line) => line.subdomain))].filter((subdomain) => options.accountsInFile?.has(subdomain) !== true);
  const known = await findAccountIdsBySubdomains(deps.db, named, deps.handle.capabilities.maxParameters);
  for (const line of lines) {
    if (options.accountsInFile?.has(line.subdomain) === true || known.has(line.subdomain)) continue;
    add({ file: CERTIFICATES_FILE, line: line.line, field: 'account', message: `names account "${line.subdomain}", which does not exist` });
  }
  if (total > 0) throw refusal(problems, total);
  return { source, lines };
}
