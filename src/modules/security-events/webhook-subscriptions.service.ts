import { reserveIds } from '../../db/sequences.js';
import { invalid, notFound } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import { PUBLIC_SECURITY_EVENT_TYPES } from '../../platform/audit/security-events.model.js';
import { sealSecret, type SecretLocation } from '../../platform/crypto/envelope.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { requireRole, type Principal } from '../accounts/principal.js';
import { staffActor, type StaffPrincipal } from '../staff/staff.service.js';
import { checkWebhookUrl } from './webhook-endpoint.js';
import { newWebhookSecret } from './webhook-signature.js';
import {
  countSubscriptions,
  deleteSubscription,
  insertSubscription,
  listSubscriptions,
  WEBHOOK_SUBSCRIPTION_ID_SEQUENCE,
  type WebhookSubscriptionRow,
} from './webhooks.repo.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'config'>;

/** Enough for every tool a customer runs; past it, an account should be removing endpoints. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 20;

/** Where a subscription's signing secret is sealed. */
export const subscriptionSecretLocation = (accountId: number, id: number): SecretLocation => ({
  accountId,
  table: 'webhook_subscriptions',
  column: 'secret_sealed',
  rowId: id,
});

/** Whose endpoints: an account's admins (their account's events) or the operators (account 0: every account's). */
interface Owner {
  accountId: number;
  actor: Actor;
}

export interface WebhookInput {
  url: string;
  description?: string;
  event_types?: string[];
}

export interface CreatedWebhook {
  row: WebhookSubscriptionRow;
  /** `whsec_…`: in the creation's answer only; kept sealed to sign deliveries. */
  secret: string;
}

function checkEventTypes(types: readonly string[] | undefined): string | null {
  if (types === undefined) return null;
  const unknown = types.filter((type) => !PUBLIC_SECURITY_EVENT_TYPES.includes(type));
  if (unknown.length > 0)
    throw invalid(
      `Unknown event types: ${unknown.join(', ')}. Leave event_types out for every type, or pick from: ${PUBLIC_SECURITY_EVENT_TYPES.join(', ')}.`,
      {
        event_types: unknown.map((type) => ({ description: `${type} is not an event type` })),
      },
    );
  return JSON.stringify([...new Set(types)].sort());
}

async function create(deps: Deps, owner: Owner, input: WebhookInput): Promise<CreatedWebhook> {
  // The URL is what the registrant typed, never anything taken from the request (its Host, its origin).
  const url = checkWebhookUrl(input.url, deps.config.webhooksAllowPrivate === true);
  const eventTypes = checkEventTypes(input.event_types);
  if ((await countSubscriptions(deps.db, owner.accountId)) >= MAX_WEBHOOKS_PER_ACCOUNT)
    throw invalid(`This account already has ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks, the most it may hold; delete unused ones first.`);
  const secret = newWebhookSecret();
  const row = await deps.db.transaction().execute(async (tx) => {
    const id = await reserveIds(tx, WEBHOOK_SUBSCRIPTION_ID_SEQUENCE, 1);
    const created: WebhookSubscriptionRow = {
      account_id: owner.accountId,
      id,
      url,
      description: input.description ?? '',
      event_types: eventTypes,
      secret_sealed: await sealSecret(tx, deps.keyring, deps.clock, {
        ...subscriptionSecretLocation(owner.accountId, id),
        plaintext: secret,
      }),
      created_by: `${owner.actor.type}:${owner.actor.id ?? ''}`,
      created_at: deps.clock.now().toISOString(),
    };
    await insertSubscription(tx, created);
    await recordAudit(tx, deps, {
      accountId: owner.accountId,
      actor: owner.actor,
      action: 'security_webhook.created',
      target: { type: 'security_webhook', id },
      // The URL's origin only: a path may carry a token of the receiver's.
      data: { origin: new URL(url).origin, event_types: eventTypes === null ? null : (JSON.parse(eventTypes) as string[]) },
    });
    return created;
  });
  return { row, secret };
}

async function remove(deps: Deps, owner: Owner, id: number): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    if (!(await deleteSubscription(tx, owner.accountId, id))) throw notFound('Webhook');
    await recordAudit(tx, deps, {
      accountId: owner.accountId,
      actor: owner.actor,
      action: 'security_webhook.deleted',
      target: { type: 'security_webhook', id },
    });
  });
}

const adminOwner = (principal: Principal): Owner => ({ accountId: principal.account.id, actor: { type: 'user', id: principal.user.id } });
const operatorOwner = (staff: StaffPrincipal): Owner => ({ accountId: PLATFORM_ACCOUNT_ID, actor: staffActor(staff) });

/** Registers an endpoint for the principal's account's security events (admins only); the secret is in the answer only. */
export function createAccountWebhook(deps: Deps, principal: Principal, input: WebhookInput): Promise<CreatedWebhook> {
  requireRole(principal, 'admin', 'write');
  return create(deps, adminOwner(principal), input);
}

/** The principal's account's endpoints (admins only). */
export function listAccountWebhooks(deps: Deps, principal: Principal): Promise<WebhookSubscriptionRow[]> {
  requireRole(principal, 'admin');
  return listSubscriptions(deps.db, principal.account.id);
}

/** Removes one of the principal's account's endpoints (admins only); 404 for any other id. */
export function deleteAccountWebhook(deps: Deps, principal: Principal, id: number): Promise<void> {
  requireRole(principal, 'admin', 'write');
  return remove(deps, adminOwner(principal), id);
}

/** Registers an operators' endpoint: every account's security events and the platform's own. */
export const createOperatorWebhook = (deps: Deps, staff: StaffPrincipal, input: WebhookInput): Promise<CreatedWebhook> =>
  create(deps, operatorOwner(staff), input);

export const listOperatorWebhooks = (deps: Deps): Promise<WebhookSubscriptionRow[]> => listSubscriptions(deps.db, PLATFORM_ACCOUNT_ID);

export const deleteOperatorWebhook = (deps: Deps, staff: StaffPrincipal, id: number): Promise<void> =>
  remove(deps, operatorOwner(staff), id);
