import { closedObject, wire } from '../../platform/http/wire-schema.js';
import { PASSWORD_CHANNELS } from './use-before-rotation.repo.js';

/** Was the exposed password used before rotation? One account's figures, as the customer view and the evidence carry them. */
export const useBeforeRotationWireSchema = closedObject({
  period: closedObject({ from: wire.string, to: wire.string }),
  method: wire.string,
  records_since: wire.nullableString,
  sign_ins: wire.integer,
  users: wire.integer,
  unfamiliar: closedObject({ sign_ins: wire.integer, users: wire.integer }),
  to_investigate: {
    type: 'array',
    items: closedObject({
      user_id: wire.integer,
      occurred_at: wire.string,
      channel: { type: 'string', enum: PASSWORD_CHANNELS },
      ip: wire.nullableString,
      user_agent: wire.nullableString,
      reasons: { type: 'array', items: { type: 'string', enum: ['new_network', 'new_user_agent'] } },
    }),
  },
});
