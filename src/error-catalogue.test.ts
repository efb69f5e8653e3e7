import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportCliError } from './cli/runtime-options.js';
import { ERROR_CATALOGUE, errorCodesWithStatus, type ErrorCode } from './error-catalogue.js';
import { AppError } from './errors.js';

/** Every code thrown under `src/`, read from the source (`new AppError('Code'` and subclasses' `super('Code'`). */
function codesThrown(dir: string): Set<string> {
  const codes = new Set<string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const text = fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of text.matchAll(/(?:new AppError|super)\(\s*'([A-Za-z_]+)'/g)) codes.add(match[1] ?? '');
  }
  return codes;
}

describe('the error catalogue', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('declares every code thrown, once, each with a status and what to do', () => {
    const declared = new Set(Object.keys(ERROR_CATALOGUE));
    for (const code of codesThrown(path.dirname(new URL(import.meta.url).pathname))) expect(declared, code).toContain(code);
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.action, code).toMatch(/^[A-Z`].*\.$/);
    }
  });

  it('is shown whole in the README, each code with its status', () => {
    const readme = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'README.md'), 'utf8');
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) expect(readme, code).toContain(`| \`${code}\` | ${spec.status} |`);
  });

  it('gives every error its status from the catalogue', () => {
    expect(new AppError('RecordNotFound', 'User was not found.').status).toBe(404);
    expect(new AppError('ServiceBusy', 'Busy.').status).toBe(503);
    expect(errorCodesWithStatus(404)).toContain('RecordNotFound');
  });

  it('sets the exit code of riposte from the catalogue', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exitFor = (code: ErrorCode): number | string | undefined => {
      reportCliError(new AppError(code, 'message'));
      return process.exitCode;
    };
    expect(exitFor('ImportInvalid')).toBe(2);
    expect(exitFor('InvalidConfiguration')).toBe(2);
    expect(exitFor('MigrationFailed')).toBe(1);
    expect(exitFor('ServiceBusy')).toBe(75);
  });
});
