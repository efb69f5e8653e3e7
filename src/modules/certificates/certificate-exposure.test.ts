import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../db/schema.js';
import type { FixedClock } from '../../platform/clock.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { testDeps } from '../../../test/support/app.js';
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { insertAccount } from '../../../test/support/fixtures.js';
import { insertUser } from '../../../test/support/identity-fixtures.js';
import type { Principal } from '../accounts/principal.js';
import { countExposedCertificates, listExposedCertificates } from './certificate-exposure.service.js';
import { importCertificates } from './certificates-import.service.js';
import { revokeCertificate } from './certificates.service.js';
import { makeCertificateSet, type CertificateSet, type TestCertificate } from '../../../test/support/test-certificates.js';

const CUTOFF = '2016-11-01T00:00:00Z';

let set: CertificateSet;
beforeAll(() => {
  set = makeCertificateSet();
});
afterAll(() => set.workbench.dispose());

describe.each(backends)('certificate exposure inventory on %s', (backend) => {
  let database: TestDatabase;
  let deps: ServiceDeps & { clock: FixedClock };
  let acme: Account;
  let globex: Account;
  const idOf = async (account: Account, leaf: TestCertificate): Promise<number> =>
    Number(
      (
        await database.db
          .selectFrom('certificates')
          .select('id')
          .where('account_id', '=', account.id)
          .where('fingerprint_sha256', '=', leaf.fingerprint)
          .executeTakeFirstOrThrow()
      ).id,
    );

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    deps = testDeps(database);
    acme = await insertAccount(database.db, 'acme', { host_mapping: 'help.acme.test' });
    globex = await insertAccount(database.db, 'globex', { host_mapping: 'help.globex.test' });
    await insertAccount(database.db, 'initech', { host_mapping: 'www.acme.test' });
    const line = (account: string, uploadedAt: string, leaf: TestCertificate) => ({
      account,
      uploaded_at: uploadedAt,
      certificate_pem: set.chainOf(leaf),
      private_key_pem: leaf.keyPem,
    });
    await importCertificates(deps, [
      line('acme', '2015-01-01T00:00:00Z', set.expired), // expired since 2026-01-01
      line('acme', '2016-05-01T00:00:00Z', set.rsaLeaf), // superseded by the wildcard, still valid: exposed
      line('acme', '2016-06-01T00:00:00Z', set.ecWildcard), // revoked below
      line('acme', '2017-01-01T00:00:00Z', set.ecLeaf), // after the cutoff
      line('globex', '2016-01-01T00:00:00Z', set.globexLeaf), // active: exposed
      line('initech', '2017-03-01T00:00:00Z', set.otherHost), // after the cutoff
    ]);
    const admin = await insertUser(database.db, acme, 'admin@acme.test', { role: 'admin' });
    const principal: Principal = { account: acme, user: admin, via: 'session', scopes: new Set(['read', 'write']), credentialId: null };
    await revokeCertificate(deps, principal, await idOf(acme, set.ecWildcard));
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('lists certificates uploaded before the cutoff that are still valid and not revoked, across accounts', async () => {
    const page = await listExposedCertificates(deps, { uploadedBefore: CUTOFF });
    expect(page.next).toBeNull();
    expect(page.certificates).toEqual([
      {
        accountId: acme.id,
        subdomain: 'acme',
        id: await idOf(acme, set.rsaLeaf),
        state: 'superseded',
        hostnames: ['help.acme.test'],
        fingerprintSha256: set.rsaLeaf.fingerprint,
        uploadedAt: '2016-05-01T00:00:00.000Z',
        notAfter: '2035-01-01T00:00:00.000Z',
      },
      {
        accountId: globex.id,
        subdomain: 'globex',
        id: await idOf(globex, set.globexLeaf),
        state: 'active',
        hostnames: ['help.globex.test'],
        fingerprintSha256: set.globexLeaf.fingerprint,
        uploadedAt: '2016-01-01T00:00:00.000Z',
        notAfter: '2035-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('counts per account, and how many of those are being served', async () => {
    expect(await countExposedCertificates(deps, { uploadedBefore: CUTOFF })).toEqual([
      { account_id: acme.id, subdomain: 'acme', certificates: 1, active: 0, earliest_uploaded_at: '2016-05-01T00:00:00.000Z' },
      { account_id: globex.id, subdomain: 'globex', certificates: 1, active: 1, earliest_uploaded_at: '2016-01-01T00:00:00.000Z' },
    ]);
    expect(await countExposedCertificates(deps, { uploadedBefore: CUTOFF, accountId: globex.id })).toHaveLength(1);
  });

  it('answers for one account, pages across accounts, and moves with the cutoff and the clock', async () => {
    const acmeOnly = await listExposedCertificates(deps, { uploadedBefore: CUTOFF, accountId: acme.id });
    expect(acmeOnly.certificates.map((certificate) => certificate.subdomain)).toEqual(['acme']);

    const first = await listExposedCertificates(deps, { uploadedBefore: CUTOFF }, { limit: 1 });
    expect(first.certificates.map((certificate) => certificate.subdomain)).toEqual(['acme']);
    expect(first.next).not.toBeNull();
    const second = await listExposedCertificates(
      deps,
      { uploadedBefore: CUTOFF },
      { limit: 1, ...(first.next === null ? {} : { after: first.next }) },
    );
    expect(second.certificates.map((certificate) => certificate.subdomain)).toEqual(['globex']);
    expect(second.next).toBeNull();

    const later = await listExposedCertificates(deps, { uploadedBefore: '2018-01-01T00:00:00Z' });
    expect(later.certificates.map((certificate) => certificate.fingerprintSha256)).toEqual([
      set.rsaLeaf.fingerprint,
      set.ecLeaf.fingerprint,
      set.globexLeaf.fingerprint,
      set.otherHost.fingerprint,
    ]);
    // Once they expire, nothing is exposed any more.
    const now = deps.clock.now();
    deps.clock.set('2035-01-01T00:00:00.000Z');
    try {
      expect((await listExposedCertificates(deps, { uploadedBefore: CUTOFF })).certificates).toEqual([]);
    } finally {
      deps.clock.set(now);
    }
  });

  it('refuses a cutoff that is not a timestamp', async () => {
    await expect(listExposedCertificates(deps, { uploadedBefore: 'last tuesday' })).rejects.toMatchObject({ status: 422 });
  });
});
