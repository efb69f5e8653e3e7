import { reserveIds } from '../../../db/sequences.js';
import { invalid, notFound } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requireRole, type Principal } from '../../accounts/principal.js';
import { issueSecretToken } from '../secret-tokens.js';
import {
  API_TOKEN_ID_SEQUENCE,
  countApiTokens,
  deleteApiToken as deleteApiTokenRow,
  findApiToken,
  insertApiToken,
  listApiTokensPage,
} from './api-tokens.repo.js';
import type { ApiTokenRow } from './api-tokens.schema.js';

/** Zendesk's own cap; past it, an account should be deleting tokens, not adding them. */
export const MAX_API_TOKENS_PER_ACCOUNT = 256;
/** `last_used_at` is kept to the minute, so most authenticated requests write nothing. */
export const LAST_USED_GRANULARITY_MS = 60_000;
type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

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
    await recordAudit(tx, deps, {
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
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'api_token.deleted',
      target: { type: 'api_token', id },
      data: { via: principal.via, description: row.description, token_hint: row.token_hint },
    });
  });
}
