import type { FastifyRequest } from 'fastify';
import { reserveIds } from '../../../db/sequences.js';
import type { Account } from '../../../db/schema.js';
import { AppError, invalid, notFound } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { findAccountById } from '../../accounts/accounts.repo.js';
import { mayAuthenticate } from '../../users/user-standing.js';
import { requireRole, type Principal } from '../principal.js';
import { hashSecretToken, issueSecretToken } from '../secret-tokens.js';
import {
  API_TOKEN_ID_SEQUENCE,
  countApiTokens,
  deleteApiToken as deleteApiTokenRow,
  findApiToken,
  findApiTokenCredentialForVerification,
  insertApiToken,
  listApiTokensPage,
  touchApiToken,
} from './api-tokens.repo.js';
import type { ApiTokenRow } from './api-tokens.schema.js';

/** Zendesk's own cap; past it, an account should be deleting tokens, not adding them. */
export const MAX_API_TOKENS_PER_ACCOUNT = 256;
/** `last_used_at` is kept to the minute, so most authenticated requests write nothing. */
export const LAST_USED_GRANULARITY_MS = 60_000;
/** The realm of the REST API: Support's, shared by the core products. */
const API_REALM = 'core';
const MAX_TOKEN_LENGTH = 256;
const MAX_EMAIL_LENGTH = 320;

type Deps = Pick<ServiceDeps, 'db' | 'clock'>;

export interface CreatedApiToken {
  row: ApiTokenRow;
  /** Shown once, in the answer to the creation; only its hash is kept. */
  token: string;
}

const actorOf = (principal: Principal) => ({ type: 'user' as const, id: principal.user.id });

/**
 * Creates an API token for the principal's account (admins only) and audits it.
 *
 * @example
 * const { row, token } = await createApiToken(deps, principal, { description: 'Slack integration' });
 */
export async function createApiToken(deps: Deps, principal: Principal, input: { description: string }): Promise<CreatedApiToken> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  if ((await countApiTokens(deps.db, accountId)) >= MAX_API_TOKENS_PER_ACCOUNT) {
    throw invalid(`This account already has ${MAX_API_TOKENS_PER_ACCOUNT} API tokens, the most it may hold; delete unused ones first.`);
  }
  const issued = issueSecretToken();
  const row = await deps.db.transaction().execute(async (tx) => {
    const created: ApiTokenRow = {
      account_id: accountId,
      id: await reserveIds(tx, API_TOKEN_ID_SEQUENCE, 1),
      token_hash: issued.hash,
      token_hint: issued.raw.slice(-4),
      description: input.description,
      created_by: principal.user.id,
      created_at: deps.clock.now().toISOString(),
      last_used_at: null,
    };
    await insertApiToken(tx, created);
    await recordAudit(tx, deps.clock, {
      accountId,
      actor: actorOf(principal),
      action: 'api_token.created',
      target: { type: 'api_token', id: created.id },
      data: { via: principal.via, description: created.description, token_hint: created.token_hint },
    });
    return created;
  });
  return { row, token: issued.raw };
}

/** The principal's account's tokens, a page at a time (admins only). */
export async function listApiTokens(deps: Deps, principal: Principal, page: PageRequest) {
  requireRole(principal, 'admin');
  const accountId = principal.account.id;
  const rows = await listApiTokensPage(deps.db, accountId, pageWindow(page));
  return { rows, count: () => countApiTokens(deps.db, accountId) };
}

export async function showApiToken(deps: Deps, principal: Principal, id: number): Promise<ApiTokenRow> {
  requireRole(principal, 'admin');
  const row = await findApiToken(deps.db, principal.account.id, id);
  if (row === undefined) throw notFound('API token');
  return row;
}

/** Deletes a token of the principal's account; it stops working at once. */
export async function deleteApiToken(deps: Deps, principal: Principal, id: number): Promise<void> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  await deps.db.transaction().execute(async (tx) => {
    const row = await findApiToken(tx, accountId, id);
    if (row === undefined || !(await deleteApiTokenRow(tx, accountId, id))) throw notFound('API token');
    await recordAudit(tx, deps.clock, {
      accountId,
      actor: actorOf(principal),
      action: 'api_token.deleted',
      target: { type: 'api_token', id },
      data: { via: principal.via, description: row.description, token_hint: row.token_hint },
    });
  });
}

// One answer for every failure, so a caller learns nothing about which part was wrong.
const refused = (): AppError =>
  new AppError(
    'Unauthorized',
    401,
    "Couldn't authenticate you with this API token. Check the token, that the email is an agent or admin of the token's account, and the address you call.",
  );

/**
 * The API token channel of authentication (`Basic email/token:TOKEN`). The
 * token names its account; the email names the acting user, who must be an
 * active, undeleted agent or admin there. On another account's host the token is
 * refused; where the Host names no account, the token's account is used. A
 * pending password change does not matter here (API tokens keep working
 * through a rotation). One indexed read per request; a write at most once a
 * minute per token.
 *
 * @example
 * const authenticators = { ...others, apiToken: authenticateApiToken(deps) };
 */
export function authenticateApiToken(deps: Deps) {
  return async (_request: FastifyRequest, hostAccount: Account | null, email: string, token: string): Promise<Principal> => {
    if (token === '' || token.length > MAX_TOKEN_LENGTH || email.length > MAX_EMAIL_LENGTH) throw refused();
    const credential = await findApiTokenCredentialForVerification(deps.db, hashSecretToken(token), API_REALM, email.trim().toLowerCase());
    if (credential === undefined) throw refused();
    if (hostAccount !== null && Number(hostAccount.id) !== credential.tokenAccountId) throw refused();
    const { user } = credential;
    if (!mayAuthenticate({ user, deletedAt: credential.userDeletedAt }) || (user.role !== 'agent' && user.role !== 'admin'))
      throw refused();
    const account = hostAccount ?? (await findAccountById(deps.db, credential.tokenAccountId));
    if (account === undefined) throw refused();
    const now = deps.clock.now();
    const staleBefore = new Date(now.getTime() - LAST_USED_GRANULARITY_MS).toISOString();
    if (credential.tokenLastUsedAt === null || credential.tokenLastUsedAt < staleBefore) {
      await touchApiToken(deps.db, credential.tokenAccountId, credential.tokenId, now.toISOString(), staleBefore);
    }
    return { account, user, via: 'api_token', scopes: new Set(['read', 'write']), credentialId: credential.tokenId };
  };
}
