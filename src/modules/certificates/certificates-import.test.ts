import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../db/schema.js';
import type { FixedClock } from '../../platform/clock.js';
import { decryptSecretConfidential } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import {
  importCertificates,
  importCertificatesFile,
  validateCertificateImport,
  type CertificateImportLine,
} from './certificates-import.service.js';
import { PRIVATE_KEY_LOCATION } from './certificates.service.js';
import { makeCertificateSet, type CertificateSet, type TestCertificate } from '../../../test/support/test-certificates.js';
import { effectiveState } from './certificates.model.js';
import { IN_ORDER } from '../../../test/support/in-order.js';

let set: CertificateSet;
let globexExpired: TestCertificate;
beforeAll(() => {
  set = makeCertificateSet();
  globexExpired = set.workbench.issue({ commonName: 'help.globex.test', issuer: set.intermediate, notAfter: '2026-02-01T00:00:00Z' });
});
afterAll(() => set.workbench.dispose());

const line = (account: string, uploadedAt: string, certificate: TestCertificate, extra: Record<string, unknown> = {}) => ({
  account,
  uploaded_at: uploadedAt,
  certificate_pem: set.chainOf(certificate),
  private_key_pem: certificate.keyPem,
  ...extra,
});

describe.each(backends)('certificates import on %s, in order: each test builds on the ones before', IN_ORDER, (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let acme: Account;
  let globex: Account;

  const rowsOf = (account: Account) =>
    database.db.selectFrom('certificates').selectAll().where('account_id', '=', account.id).orderBy('uploaded_at').execute();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    acme = await insertAccount(database.db, 'acme', { host_mapping: 'help.acme.test' });
    globex = await insertAccount(database.db, 'globex', { host_mapping: 'help.globex.test' });
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('accepts history as it was: later certificates supersede earlier ones they cover, expired ones import as expired', async () => {
    const summary = await importCertificates(deps, [
      line('acme', '2016-05-01T00:00:00Z', set.rsaLeaf),
      line('acme', '2015-01-01T00:00:00Z', set.expired),
      line('acme', '2017-05-01T00:00:00+02:00', set.ecLeaf),
      line('globex', '2016-01-01T00:00:00Z', globexExpired),
      line('globex', '2016-02-01T00:00:00Z', set.weakRsa),
    ]);
    expect(summary).toEqual({ created: 5, unchanged: 0, active: 2, superseded: 2, expired: 1, existingSuperseded: 0 });

    const acmeRows = await rowsOf(acme);
    expect(acmeRows.map((row) => [row.fingerprint_sha256, row.state, row.uploaded_at, row.source])).toEqual([
      [set.expired.fingerprint, 'superseded', '2015-01-01T00:00:00.000Z', 'import'],
      [set.rsaLeaf.fingerprint, 'superseded', '2016-05-01T00:00:00.000Z', 'import'],
      [set.ecLeaf.fingerprint, 'active', '2017-04-30T22:00:00.000Z', 'import'],
    ]);
    const [oldest, rsa, ec] = acmeRows;
    expect(rsa).toMatchObject({
      superseded_by: ec?.id,
      superseded_at: '2017-04-30T22:00:00.000Z',
      activated_at: '2016-05-01T00:00:00.000Z',
    });
    expect(oldest).toMatchObject({ superseded_by: rsa?.id });
    expect(oldest && effectiveState(oldest, deps.clock.now())).toBe('expired');
    // Weak keys, and names the account no longer maps, are history too: an import records them rather than forgets them.
    const globexRows = await rowsOf(globex);
    expect(globexRows.map((row) => [row.state, row.key_bits, row.hostnames])).toEqual([
      ['expired', 256, '["help.globex.test"]'],
      ['active', 1024, '["help.acme.test"]'],
    ]);

    const key = await decryptSecretConfidential(database.db, deps.keyring, {
      accountId: acme.id,
      ...PRIVATE_KEY_LOCATION,
      rowId: ec?.id ?? 0,
      sealed: ec?.private_key_sealed ?? '',
    });
    expect(key).toBe(set.ecLeaf.keyPem);
    const audit = await database.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('action', '=', 'certificate.imported')
      .execute();
    expect(audit).toHaveLength(5);
    for (const event of audit) for (const leaf of [set.rsaLeaf, set.ecLeaf]) expect(event.data).not.toContain(leaf.keyPem.split('\n')[1]);
  });

  it('changes nothing when the same lines are imported again', async () => {
    const summary = await importCertificates(deps, [
      line('acme', '2016-05-01T00:00:00Z', set.rsaLeaf),
      line('acme', '2017-05-01T00:00:00+02:00', set.ecLeaf),
    ]);
    expect(summary).toMatchObject({ created: 0, unchanged: 2 });
    expect(await rowsOf(acme)).toHaveLength(3);
  });

  it('supersedes a stored active certificate with a later imported one, and not with an earlier one', async () => {
    const earlier = await importCertificates(deps, [line('acme', '2016-12-01T00:00:00Z', set.ecWildcard)]);
    expect(earlier).toMatchObject({ created: 1, superseded: 0, active: 1, existingSuperseded: 0 });
    const later = await importCertificates(deps, [line('acme', '2018-01-01T00:00:00Z', set.ecWildcard)]);
    expect(later).toMatchObject({ created: 1, active: 1, existingSuperseded: 2 });
    const rows = await rowsOf(acme);
    const newest = rows.at(-1);
    expect(rows.filter((row) => row.state === 'active').map((row) => row.id)).toEqual([newest?.id]);
    const ec = rows.find((row) => row.fingerprint_sha256 === set.ecLeaf.fingerprint);
    expect(ec).toMatchObject({ state: 'superseded', superseded_by: newest?.id, superseded_at: '2018-01-01T00:00:00.000Z' });
    const events = await database.db
      .selectFrom('audit_events')
      .select('target_id')
      .where('action', '=', 'certificate.superseded')
      .execute();
    expect(events.map((event) => event.target_id)).toContain(String(ec?.id));
  });

  it('refuses the whole file naming line and field, writing nothing', async () => {
    const dir = fs.mkdtempSync(path.join(database.dataDir, 'import-'));
    const file = path.join(dir, 'certificates.jsonl');
    const lines = [
      JSON.stringify(line('acme', '2019-01-01T00:00:00Z', set.otherHost)),
      '',
      JSON.stringify(line('nobody', '2019-01-01T00:00:00Z', set.otherHost)),
      JSON.stringify(line('acme', '2019-02-30T00:00:00Z', set.otherHost)),
      JSON.stringify({ ...line('acme', '2019-01-01T00:00:00Z', set.otherHost), private_key_pem: set.ecLeaf.keyPem }),
      JSON.stringify({
        ...line('acme', '2019-01-01T00:00:00Z', set.otherHost),
        certificate_pem: `${set.intermediate.certificatePem}${set.otherHost.certificatePem}`,
      }),
      JSON.stringify({ ...line('acme', '2019-01-01T00:00:00Z', set.otherHost), colour: 'blue' }),
      JSON.stringify({ account: 'acme' }),
      '{"account": ',
      JSON.stringify(line('acme', '2030-01-01T00:00:00Z', set.otherHost)),
      JSON.stringify(line('acme', '2019-01-01T00:00:00Z', set.otherHost)),
      '[]',
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const before = await database.db.selectFrom('certificates').select('id').execute();
    const error = await importCertificatesFile(deps, file).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; status: number; message: string; details: { problems: unknown[]; total: number } },
    );
    expect(error).toMatchObject({ code: 'ImportInvalid', status: 422 });
    expect(error?.details.problems).toEqual([
      { file: 'certificates.jsonl', line: 3, field: 'account', message: 'names account "nobody", which does not exist' },
      { file: 'certificates.jsonl', line: 4, field: 'uploaded_at', message: expect.stringContaining('ISO-8601') },
      { file: 'certificates.jsonl', line: 5, field: 'private_key_pem', message: expect.stringContaining('key_mismatch') },
      { file: 'certificates.jsonl', line: 6, field: 'certificate_pem', message: expect.stringContaining('chain_order') },
      { file: 'certificates.jsonl', line: 7, field: 'colour', message: expect.stringContaining('is not a field') },
      { file: 'certificates.jsonl', line: 8, field: 'uploaded_at', message: 'is required' },
      { file: 'certificates.jsonl', line: 8, field: 'certificate_pem', message: 'is required' },
      { file: 'certificates.jsonl', line: 8, field: 'private_key_pem', message: 'is required' },
      { file: 'certificates.jsonl', line: 9, message: expect.stringContaining('not valid JSON') },
      { file: 'certificates.jsonl', line: 10, field: 'uploaded_at', message: expect.stringContaining('future') },
      {
        file: 'certificates.jsonl',
        line: 11,
        field: 'certificate_pem',
        message: 'repeats line 1 (same account, certificate and upload time)',
      },
      { file: 'certificates.jsonl', line: 12, message: 'must be a JSON object' },
    ]);
    expect(error?.message).toContain('certificates.jsonl line 5, field private_key_pem: key_mismatch');
    for (const leaf of [set.otherHost, set.ecLeaf]) expect(JSON.stringify(error)).not.toContain(leaf.keyPem.split('\n')[1]);
    expect(await database.db.selectFrom('certificates').select('id').execute()).toEqual(before);
  });

  it('accepts accounts that the same import creates, when told which', async () => {
    const source = (): CertificateImportLine[] => [{ line: 1, ok: true, value: line('newco', '2016-01-01T00:00:00Z', set.otherHost) }];
    await expect(validateCertificateImport(deps, source)).rejects.toMatchObject({ code: 'ImportInvalid' });
    const plan = await validateCertificateImport(deps, source, { accountsInFile: new Set(['newco']) });
    expect(plan.lines).toHaveLength(1);
  });
});

describe.each(backends)(
  'riposte import with certificates.jsonl on %s, in order: each test builds on the ones before',
  IN_ORDER,
  (backend) => {
    let database: TestDatabase;
    let dir: string;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
      dir = fs.mkdtempSync(path.join(database.dataDir, 'export-'));
      fs.writeFileSync(
        path.join(dir, 'accounts.jsonl'),
        `${JSON.stringify({ subdomain: 'acme', name: 'Acme', status: 'active', activated_at: '2015-03-02T00:00:00Z', products: ['support'], owner_email: 'owner@acme.test', host_mapping: 'help.acme.test' })}\n`,
      );
      fs.writeFileSync(path.join(dir, 'certificates.jsonl'), `${JSON.stringify(line('acme', '2016-05-01T00:00:00Z', set.rsaLeaf))}\n`);
    });
    afterAll(() => database.dispose());

    it('imports the certificates with the accounts, once', async () => {
      const { importPopulation } = await import('../population/import.service.js');
      const deps = testDeps(database);
      const first = await importPopulation(database, dir, { clock: deps.clock, keyring: deps.keyring });
      expect(first.certificates).toMatchObject({ created: 1, active: 1 });
      expect(first.notices).toEqual([]);
      const again = await importPopulation(database, dir, { clock: deps.clock, keyring: deps.keyring });
      expect(again.certificates).toMatchObject({ created: 0, unchanged: 1 });
      const withoutKeyring = await importPopulation(database, dir, { clock: deps.clock, keyring: deps.keyring, secretFiles: false });
      expect(withoutKeyring.notices).toEqual([expect.stringContaining('certificates.jsonl was found and left as it is')]);
    });
  },
);
