import type { Queryable } from '../../db/database.js';
import { notFound } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { decryptSecretConfidential, sealSecrets, type SecretLocation } from '../../platform/crypto/envelope.service.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findSealedSecretForDecryption, type InstallationSecretRow } from './installations.repo.js';

export const SECRETS_TABLE = 'installation_secrets';
export const SECRETS_COLUMN = 'value';

/**
 * Where a secure setting lives. The row id is the secret row's primary key
 * within its account, `<installation_id>:<field>`: a sealed value copied to
 * another installation or field, or its row pointed at another installation,
 * fails authentication when it is decrypted.
 */
export const secretLocation = (accountId: number, installationId: number, field: string): SecretLocation => ({
  accountId,
  table: SECRETS_TABLE,
  column: SECRETS_COLUMN,
  rowId: `${installationId}:${field}`,
});

export interface PlainSecret {
  accountId: number;
  installationId: number;
  field: string;
  plaintext: string;
  /** When the value was set: now for the API, the installation's time for an import of history. */
  setAt: string;
}

/**
 * Seals secure values in bulk (one block of data key ids, one multi-row
 * insert of data keys) and returns the rows to store, in input order. Call it
 * with the transaction that stores them.
 */
export async function sealInstallationSecrets(
  db: Queryable,
  keyring: Keyring,
  clock: Clock,
  secrets: readonly PlainSecret[],
): Promise<InstallationSecretRow[]> {
  const sealed = await sealSecrets(
    db,
    keyring,
    clock,
    secrets.map((secret) => ({ ...secretLocation(secret.accountId, secret.installationId, secret.field), plaintext: secret.plaintext })),
  );
  return secrets.map((secret, index) => ({
    account_id: secret.accountId,
    installation_id: secret.installationId,
    field: secret.field,
    sealed: sealed[index] as string,
    set_at: secret.setAt,
  }));
}

/**
 * The plaintext of one secure setting. The confidential read: for the
 * integration that calls the third party with it, never for an answer, a log
 * line or an error. Throws `RecordNotFound` when the value is not set, and
 * `SecretIntegrityError` when the stored value was altered or moved from
 * another installation, field or account.
 *
 * @example
 * const token = await decryptInstallationSecretConfidential(deps, account.id, installation.id, 'api_token');
 */
export async function decryptInstallationSecretConfidential(
  deps: Pick<ServiceDeps, 'db' | 'keyring'>,
  accountId: number,
  installationId: number,
  field: string,
): Promise<string> {
  const sealed = await findSealedSecretForDecryption(deps.db, accountId, installationId, field);
  if (sealed === undefined) throw notFound(`The secure setting ${field.slice(0, 64)} of installation ${installationId}`);
  return decryptSecretConfidential(deps.db, deps.keyring, { ...secretLocation(accountId, installationId, field), sealed });
}
