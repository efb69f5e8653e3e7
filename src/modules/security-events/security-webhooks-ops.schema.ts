// The operators' webhooks have the customers' shapes: one wire format for every receiver.
export {
  createWebhookBodySchema as opsCreateWebhookBodySchema,
  webhookAnswerSchema as opsWebhookAnswerSchema,
  webhookListAnswerSchema as opsWebhookListAnswerSchema,
  type CreateWebhookBody as OpsCreateWebhookBody,
} from './security-webhooks.schema.js';
