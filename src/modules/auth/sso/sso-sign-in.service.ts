import type { Tx } from '../../../db/database.js';
import { reserveIds } from '../../../db/sequences.js';
import type { Account, User } from '../../../db/schema.js';
import { AppError } from '../../../errors.js';
import { recordAudit, type AuditEventInput } from '../../../platform/audit/audit.service.js';
import { maskToProducts, productsToMask, REALM_OF } from '../../../platform/products.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { linkAccountOwners } from '../../accounts/account-owner.repo.js';
import { isAccountOwner } from '../../users/account-owner.js';
import { findDeletedUser } from '../../users/deleted-users.repo.js';
import { findUserByEmail, insertUser, updateUser } from '../../users/users.repo.js';
import { startSession, type StartedSession } from '../sessions/sessions.service.js';
import { consumeAssertionId, findUserByExternalId } from './sso.repo.js';
import { invalidSsoToken } from './sso-errors.js';

/** SSO users live in the realm Support, Chat, Guide, Talk and Explore share. */
export const SSO_REALM = 'core';

export type SsoMethod = 'jwt' | 'saml';

/** Who the identity provider vouches for, from a verified JWT or SAML assertion. */
export interface SsoIdentity {
  /** Lower-cased. */
  email: string;
  name: string | null;
  externalId: string | null;
  /** Single-use id, namespaced by method: `jwt:<jti>`, `saml:<assertion ID>`. */
  assertionId: string;
  /** When the token stops being accepted (exclusive); its replay record outlives that by `SSO_REPLAY_MARGIN_SECONDS`. */
  replayableUntil: Date;
}

export interface SsoClient {
  ip: string | null;
  userAgent: string | null;
}

/**
 * How long a spent assertion id is remembered past the end of its token's
 * acceptance window: the clocks of the processes that check tokens may
 * differ, and a record forgotten by one a moment early would let another
 * accept the token again.
 */
export const SSO_REPLAY_MARGIN_SECONDS = 5 * 60;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The email an identity provider sent, checked and lower-cased; the message names the method's own field. */
export function normalizeSsoEmail(email: unknown, field: string): string {
  if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email)) {
    throw invalidSsoToken(
      'invalid_claim',
      `The ${field} your identity provider sent is not an email address; send the user's email address.`,
    );
  }
  return email.toLowerCase();
}

const conflict = (message: string): AppError => new AppError('SsoUserConflict', message);

const deletedRefused = (): AppError =>
  new AppError('Forbidden', 'This user was deleted from this account and cannot sign in. Ask an admin of the account for a new user.');

/** The core products the account has: what a user created by SSO may use. */
const coreProductsMask = (account: Account): number =>
  productsToMask(maskToProducts(account.products_mask).filter((product) => REALM_OF[product] === SSO_REALM));

async function createSsoUser(
  tx: Tx,
  account: Account,
  identity: SsoIdentity,
  method: SsoMethod,
  now: string,
): Promise<{ user: User; audit: AuditEventInput[] }> {
  const user: User = {
    account_id: account.id,
    id: await reserveIds(tx, 'users', 1),
    realm: SSO_REALM,
    role: 'end-user',
    name: identity.name ?? identity.email.split('@')[0] ?? identity.email,
    email: identity.email,
    phone: null,
    locale: null,
    active: 1,
    sso: 1,
    products_mask: coreProductsMask(account),
    created_at: now,
    updated_at: now,
    last_login_at: now,
    external_id: identity.externalId,
  };
  await insertUser(tx, user);
  // The owner's first sign-in may be this one.
  await linkAccountOwners(tx, [account.id]);
  const audit: AuditEventInput = {
    accountId: account.id,
    actor: { type: 'user', id: user.id },
    action: 'user.created',
    target: { type: 'user', id: user.id },
    data: { role: user.role, realm: user.realm, via: `sso_${method}` },
    personal: { userId: user.id, values: { email: user.email, name: user.name } },
  };
  return { user, audit: [audit] };
}

/**
 * Brings a known user in line with what the identity provider says, and
 * makes it SSO-only. A deleted user is refused, whatever its `active` flag.
 * The account owner keeps their email and password: only they change those.
 */
async function updateSsoUser(tx: Tx, account: Account, user: User, identity: SsoIdentity, method: SsoMethod, now: string) {
  if ((await findDeletedUser(tx, account.id, user.id)) !== undefined) throw deletedRefused();
  if (user.active !== 1)
    throw new AppError('Forbidden', 'This user is suspended in this account; ask an admin of the account to reactivate it.');
  const owner = await isAccountOwner(tx, account.id, user.id);
  const changes: Partial<User> = { last_login_at: now };
  const changed: string[] = [];
  if (identity.externalId !== null && user.external_id === null) {
    changes.external_id = identity.externalId;
    changed.push('external_id');
  }
  if (identity.name !== null && identity.name !== user.name) {
    changes.name = identity.name;
    changed.push('name');
  }
  if (identity.email !== user.email && !owner) {
    // Matched by external id under a new address: take it unless another user has it.
    if ((await findUserByEmail(tx, account.id, SSO_REALM, identity.email)) !== undefined) {
      throw conflict(
        'The identity provider sent an email address that another user of this account already has. Change one of them, then sign in again.',
      );
    }
    changes.email = identity.email;
    changed.push('email');
  }
  if (changed.length > 0) changes.updated_at = now;
  const audit: AuditEventInput[] = [];
  if (user.sso !== 1 && !owner) {
    changes.sso = 1;
    changes.updated_at = now;
    // From now on the user signs in only through the identity provider: passwords are refused.
    audit.push({
      accountId: account.id,
      actor: { type: 'user', id: user.id },
      action: 'user.sso_enabled',
      target: { type: 'user', id: user.id },
      data: { via: `sso_${method}` },
    });
  }
  if (changed.length > 0) {
    audit.push({
      accountId: account.id,
      actor: { type: 'user', id: user.id },
      action: 'user.updated',
      target: { type: 'user', id: user.id },
      data: { fields: changed, via: `sso_${method}` },
      personal: { userId: user.id, values: { email: changes.email ?? user.email, name: changes.name ?? user.name } },
    });
  }
  // Deleted meanwhile: never brought back to sign in.
  if (!(await updateUser(tx, account.id, user.id, changes))) throw deletedRefused();
  return { user: { ...user, ...changes }, audit };
}

async function findSsoUser(tx: Tx, account: Account, identity: SsoIdentity): Promise<User | undefined> {
  if (identity.externalId !== null) {
    const byExternalId = await findUserByExternalId(tx, account.id, SSO_REALM, identity.externalId);
    if (byExternalId !== undefined) return byExternalId;
  }
  const byEmail = await findUserByEmail(tx, account.id, SSO_REALM, identity.email);
  if (byEmail?.external_id != null && identity.externalId !== null && byEmail.external_id !== identity.externalId) {
    throw conflict(
      'The email address the identity provider sent belongs to a user with a different external id. Correct the external id in the identity provider or in the user profile.',
    );
  }
  return byEmail;
}

/**
 * Signs in the user an identity provider vouched for: spends the assertion
 * id (a second use is a replay), finds the user by external id then email
 * in the core realm or creates an end user, marks it SSO-only, and starts a
 * web session. The user changes and their audit events commit together.
 */
export async function signInWithSso(
  deps: ServiceDeps,
  input: { account: Account; identity: SsoIdentity; method: SsoMethod; client: SsoClient },
): Promise<{ user: User; session: StartedSession }> {
  const { account, identity, method } = input;
  const now = deps.clock.now().toISOString();
  const user = await deps.db.transaction().execute(async (tx) => {
    const forgetAt = new Date(identity.replayableUntil.getTime() + SSO_REPLAY_MARGIN_SECONDS * 1000).toISOString();
    if (!(await consumeAssertionId(tx, account.id, identity.assertionId, forgetAt, now))) {
      throw invalidSsoToken(
        'replayed',
        method === 'jwt'
          ? 'This JWT was already used (its jti was seen before). Issue a new token, with a new jti, for every sign-in.'
          : 'This SAML assertion was already used. Sign in again at your identity provider for a fresh one.',
      );
    }
    const existing = await findSsoUser(tx, account, identity);
    const { user: signedIn, audit } =
      existing === undefined
        ? await createSsoUser(tx, account, identity, method, now)
        : await updateSsoUser(tx, account, existing, identity, method, now);
    if (audit.length > 0) await recordAudit(tx, deps, ...audit);
    return signedIn;
  });
  const session = await startSession(deps, {
    account,
    user,
    ip: input.client.ip,
    userAgent: input.client.userAgent,
    method: `sso_${method}`,
  });
  return { user, session };
}
