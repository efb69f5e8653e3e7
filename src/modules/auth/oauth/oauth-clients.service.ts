import { reserveIds } from '../../../db/sequences.js';
import { AppError, invalid, notFound } from '../../../errors.js';
import { recordAudit } from '../../../platform/audit/audit.service.js';
import { pageWindow, type PageRequest } from '../../../platform/http/pagination.js';
import type { ServiceDeps } from '../../../platform/service-deps.js';
import { requireRole, type Principal } from '../../accounts/principal.js';
import { issueSecretToken } from '../secret-tokens.js';
import {
  countClients,
  deleteClient as deleteClientRow,
  findClientById,
  findClientByIdentifier,
  insertClient,
  isUniqueViolation,
  listClientsPage,
  OAUTH_CLIENT_ID_SEQUENCE,
  updateClient as updateClientRow,
} from './oauth-clients.repo.js';
import { revokeClientTokens } from './oauth-tokens.repo.js';
import type { ClientChanges, ClientInput } from './oauth.schema.js';
import { redirectUriProblem } from './redirect-uris.js';
import { type OauthClientRow } from './oauth.model.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

export interface ClientWithSecret {
  client: OauthClientRow;
  /** Shown once (confidential clients); only its hash is kept. */
  secret: string | undefined;
}

const actorOf = (principal: Principal) => ({ type: 'user' as const, id: principal.user.id });

const identifierTaken = (): AppError =>
  invalid('Another OAuth client of this account already uses this identifier; choose another.', {
    identifier: [{ description: 'is already used by another client' }],
  });

function checkRedirectUris(uris: readonly string[]): string {
  const problems: Array<{ description: string }> = [];
  uris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) problems.push({ description: `redirect_uri[${index}] ${problem}` });
  });
  if (new Set(uris).size !== uris.length) problems.push({ description: 'lists the same URI twice' });
  if (problems.length > 0)
    throw invalid(`The redirect URIs are not acceptable: ${problems.map((p) => p.description).join('; ')}.`, { redirect_uri: problems });
  return JSON.stringify(uris);
}

/**
 * Registers an OAuth client (admins). Confidential clients get a secret,
 * returned here once; public clients (browser and native apps) have none and
 * must use PKCE.
 */
export async function createClient(deps: Deps, principal: Principal, input: ClientInput): Promise<ClientWithSecret> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const redirectUris = checkRedirectUris(input.redirect_uri);
  if ((await findClientByIdentifier(deps.db, accountId, input.identifier)) !== undefined) throw identifierTaken();
  const kind = input.kind ?? 'confidential';
  const secret = kind === 'confidential' ? issueSecretToken() : undefined;
  const now = deps.clock.now().toISOString();
  try {
    const client = await deps.db.transaction().execute(async (tx) => {
      const row: OauthClientRow = {
        account_id: accountId,
        id: await reserveIds(tx, OAUTH_CLIENT_ID_SEQUENCE, 1),
        identifier: input.identifier,
        name: input.name,
        kind,
        secret_hash: secret?.hash ?? null,
        redirect_uris: redirectUris,
        created_at: now,
        updated_at: now,
        secret_set_at: secret === undefined ? null : now,
      };
      await insertClient(tx, row);
      await recordAudit(tx, deps, {
        accountId,
        actor: actorOf(principal),
        action: 'oauth_client.created',
        target: { type: 'oauth_client', id: row.id },
        data: { via: principal.via, identifier: row.identifier, kind, redirect_uri: input.redirect_uri },
      });
      return row;
    });
    return { client, secret: secret?.raw };
  } catch (error) {
    if (isUniqueViolation(error)) throw identifierTaken();
    throw error;
  }
}

export async function listClients(deps: Deps, principal: Principal, page: PageRequest) {
  requireRole(principal, 'admin');
  const accountId = principal.account.id;
  const rows = await listClientsPage(deps.db, accountId, pageWindow(page));
  return { rows, count: () => countClients(deps.db, accountId) };
}

export async function showClient(deps: Deps, principal: Principal, id: number): Promise<OauthClientRow> {
  requireRole(principal, 'admin');
  const client = await findClientById(deps.db, principal.account.id, id);
  if (client === undefined) throw notFound('OAuth client');
  return client;
}

/** Renames a client, changes its identifier or replaces its redirect URIs. */
export async function changeClient(deps: Deps, principal: Principal, id: number, input: ClientChanges): Promise<OauthClientRow> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const client = await showClient(deps, principal, id);
  if (input.kind !== undefined && input.kind !== client.kind) {
    throw invalid('A client cannot change kind: a public client has no secret to keep. Register a new client instead.', {
      kind: [{ description: 'cannot change' }],
    });
  }
  if (input.name === undefined && input.identifier === undefined && input.redirect_uri === undefined) {
    throw invalid('Send at least one of name, identifier and redirect_uri to change.');
  }
  const changes: Partial<OauthClientRow> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.redirect_uri !== undefined) changes.redirect_uris = checkRedirectUris(input.redirect_uri);
  if (input.identifier !== undefined && input.identifier !== client.identifier) {
    if ((await findClientByIdentifier(deps.db, accountId, input.identifier)) !== undefined) throw identifierTaken();
    changes.identifier = input.identifier;
  }
  changes.updated_at = deps.clock.now().toISOString();
  try {
    await deps.db.transaction().execute(async (tx) => {
      await updateClientRow(tx, accountId, id, changes);
      await recordAudit(tx, deps, {
        accountId,
        actor: actorOf(principal),
        action: 'oauth_client.updated',
        target: { type: 'oauth_client', id },
        data: { via: principal.via, fields: Object.keys(changes).filter((key) => key !== 'updated_at') },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw identifierTaken();
    throw error;
  }
  return { ...client, ...changes };
}

/**
 * Replaces a confidential client's secret (after a leak, say); the old one
 * stops working at once. Tokens already issued are left alone: revoke them
 * separately if they are suspect too.
 */
export async function regenerateClientSecret(deps: Deps, principal: Principal, id: number): Promise<ClientWithSecret> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  const client = await showClient(deps, principal, id);
  if (client.kind !== 'confidential') {
    throw invalid('Public clients have no secret; they authenticate with PKCE.', { kind: [{ description: 'must be confidential' }] });
  }
  const secret = issueSecretToken();
  const updatedAt = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    await updateClientRow(tx, accountId, id, { secret_hash: secret.hash, updated_at: updatedAt, secret_set_at: updatedAt });
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'oauth_client.secret_regenerated',
      target: { type: 'oauth_client', id },
      data: { via: principal.via },
    });
  });
  return { client: { ...client, secret_hash: secret.hash, updated_at: updatedAt, secret_set_at: updatedAt }, secret: secret.raw };
}

/** Deletes a client, revoking its tokens and dropping its pending codes. */
export async function deleteClient(deps: Deps, principal: Principal, id: number): Promise<void> {
  requireRole(principal, 'admin', 'write');
  const accountId = principal.account.id;
  await deps.db.transaction().execute(async (tx) => {
    const client = await findClientById(tx, accountId, id);
    if (client === undefined) throw notFound('OAuth client');
    const revoked = await revokeClientTokens(tx, accountId, id, deps.clock.now().toISOString());
    await deleteClientRow(tx, accountId, id);
    await recordAudit(tx, deps, {
      accountId,
      actor: actorOf(principal),
      action: 'oauth_client.deleted',
      target: { type: 'oauth_client', id },
      data: { via: principal.via, identifier: client.identifier, tokens_revoked: revoked },
    });
  });
}
