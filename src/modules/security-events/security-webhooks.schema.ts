import { PUBLIC_SECURITY_EVENT_TYPES } from '../../platform/audit/security-events.model.js';
import { closedObject, nullable, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import type { WebhookSubscriptionRow } from './webhooks.repo.js';

/** A registered endpoint; `secret` only in the answer to its creation. */
export const webhookWireSchema = closedObject(
  {
    id: wire.integer,
    url: wire.string,
    description: wire.string,
    event_types: nullable(wire.strings),
    created_at: wire.string,
    secret: wire.string,
  },
  ['secret'],
);
export type WebhookWire = FromSchema<typeof webhookWireSchema>;

export const webhookAnswerSchema = closedObject({ webhook: webhookWireSchema });
export const webhookListAnswerSchema = closedObject({ webhooks: { type: 'array', items: webhookWireSchema } });

/** What registering an endpoint takes: its URL (https), an optional label and the event types wanted (all when absent). */
export const createWebhookBodySchema = closedObject({
  webhook: closedObject(
    {
      url: { type: 'string', minLength: 1, maxLength: 2048 },
      description: { type: 'string', maxLength: 255 },
      event_types: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', enum: PUBLIC_SECURITY_EVENT_TYPES } },
    },
    ['description', 'event_types'],
  ),
});
export type CreateWebhookBody = FromSchema<typeof createWebhookBodySchema>;

export function presentWebhook(row: WebhookSubscriptionRow, secret?: string): WebhookWire {
  return {
    id: Number(row.id),
    url: row.url,
    description: row.description,
    event_types: row.event_types === null ? null : (JSON.parse(row.event_types) as string[]),
    created_at: row.created_at,
    ...(secret === undefined ? {} : { secret }),
  };
}
