import { MAX_PAGE_SIZE } from '../../../platform/http/pagination.js';
import { closedObject, nullable, wire, type FromSchema } from '../../../platform/http/wire-schema.js';
import { SIGN_IN_CHANNELS, SIGN_IN_OUTCOMES } from '../../../platform/sign-in-events/sign-in-event-log.js';
import type { SignInEventRow } from '../../../platform/sign-in-events/sign-in-events.repo.js';

/** `GET /api/v2/security/sign_in_events`: filters and a cursor page, newest first. */
export interface SignInEventsQuery {
  user_id?: string;
  channel?: string;
  outcome?: string;
  since?: string;
  until?: string;
  'page[size]'?: string;
  'page[after]'?: string;
}

export const signInEventsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user_id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' },
    channel: { type: 'string', enum: SIGN_IN_CHANNELS },
    outcome: { type: 'string', enum: SIGN_IN_OUTCOMES },
    since: { type: 'string', maxLength: 64 },
    until: { type: 'string', maxLength: 64 },
    'page[size]': { type: 'string', pattern: `^[1-9][0-9]{0,${String(MAX_PAGE_SIZE).length - 1}}$` },
    'page[after]': { type: 'string', maxLength: 128 },
  },
} as const;

export const signInEventWireSchema = closedObject({
  id: wire.integer,
  occurred_at: wire.string,
  /** Identical attempts in the same second share an event: the last one's time, and how many. */
  last_at: wire.string,
  attempts: wire.integer,
  user_id: wire.nullableInteger,
  channel: { type: 'string', enum: SIGN_IN_CHANNELS },
  outcome: { type: 'string', enum: SIGN_IN_OUTCOMES },
  reason: wire.nullableString,
  /** Cut to its network (`/24`, `/48`) once the event is older than the address retention period. */
  ip: wire.nullableString,
  user_agent: wire.nullableString,
  /** The email the attempt named, when it names a user of the account: a stranger's email typed at this host is not the account's to read. */
  identifier: wire.nullableString,
  credential_id: wire.nullableInteger,
});
export type SignInEventWire = FromSchema<typeof signInEventWireSchema>;

export const signInEventsPageWireSchema = closedObject({
  sign_in_events: { type: 'array', items: signInEventWireSchema },
  meta: closedObject({ has_more: wire.boolean, after_cursor: nullable(wire.string) }),
  links: closedObject({ next: wire.nullableString }),
});
export type SignInEventsPageWire = FromSchema<typeof signInEventsPageWireSchema>;

/**
 * Who reads: an account's admins see the email an attempt named only when it
 * names one of their users; the vendor's operators see it always.
 */
export type SignInEventReader = 'account' | 'operators';

export const presentSignInEvent = (row: SignInEventRow, reader: SignInEventReader = 'account'): SignInEventWire => ({
  id: Number(row.id),
  occurred_at: row.occurred_at,
  last_at: row.last_at,
  attempts: Number(row.attempts),
  user_id: row.user_id === null ? null : Number(row.user_id),
  channel: row.channel as SignInEventWire['channel'],
  outcome: row.outcome as SignInEventWire['outcome'],
  reason: row.reason,
  ip: row.ip,
  user_agent: row.user_agent,
  identifier: row.user_id === null && reader === 'account' ? null : row.identifier,
  credential_id: row.credential_id === null ? null : Number(row.credential_id),
});
