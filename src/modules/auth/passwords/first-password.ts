import { AppError } from '../../../errors.js';
import { recordAudit, type Actor, type AuditWriter } from '../../../platform/audit/audit.service.js';
import type { Queryable } from '../../../db/database.js';
import { throughPasswordGate } from './password-gate.js';
import { hashPassword } from './password-hashing.js';
import { assertPasswordAllowed } from './password-policy.js';
import { setNewPassword, type CredentialKey } from './passwords.repo.js';
import type { PasswordServiceDeps } from './passwords.service.js';
import type { FirstPasswords } from '../../users/users.service.js';

/** A checked and hashed first password, ready to be stored with the user it is for. */
export interface PreparedPassword {
  passwordHash: string;
}

/**
 * Checks a first password against the policy and hashes it with argon2id,
 * through the password gate, before the user it is for exists: so creating
 * a user with a password can write the user and the credential in one
 * transaction, and a refused password leaves nothing behind.
 *
 * @example
 * const prepared = await prepareFirstPassword(deps, { email, password, clientIp: request.ip });
 * await db.transaction().execute(async (tx) => { await insertUser(tx, row); await storeFirstPassword(tx, deps, { key, prepared, actor }); });
 */
export async function prepareFirstPassword(
  deps: PasswordServiceDeps,
  input: { email: string; password: string; clientIp: string | null },
): Promise<PreparedPassword> {
  return throughPasswordGate(deps, input.clientIp, async (hashing) => {
    await hashing(() => assertPasswordAllowed(input.password, { email: input.email, previousHashes: [] }));
    return { passwordHash: await hashing(() => hashPassword(input.password)) };
  });
}

/** Stores a prepared first password in the caller's transaction, with its `password.changed` event. */
export async function storeFirstPassword(
  tx: Queryable,
  writer: AuditWriter,
  input: { key: CredentialKey; prepared: PreparedPassword; actor: Actor },
): Promise<void> {
  const changedAt = writer.clock.now().toISOString();
  if (!(await setNewPassword(tx, input.key, undefined, { passwordHash: input.prepared.passwordHash, changedAt })))
    throw new AppError('PasswordChangeConflict', 'This user already has a password. Set it with POST /api/v2/users/{id}/password.json.');
  await recordAudit(tx, writer, {
    accountId: input.key.accountId,
    actor: input.actor,
    action: 'password.changed',
    target: { type: 'user', id: input.key.userId },
    data: { reason: 'admin' },
  });
}

/** The first-password steps as the users module takes them when creating a user. */
export const firstPasswords = (deps: PasswordServiceDeps): FirstPasswords => ({
  prepare: (input) => prepareFirstPassword(deps, input),
  store: (tx, input) => storeFirstPassword(tx, deps, input),
});
