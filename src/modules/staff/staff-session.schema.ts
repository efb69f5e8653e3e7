import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import { STAFF_ROLES, type StaffPrincipal } from './staff.service.js';

/** A staff member as the operator API names them: who is signed in. */
export const staffWireSchema = closedObject({
  id: wire.integer,
  email: wire.string,
  name: wire.string,
  role: { type: 'string', enum: STAFF_ROLES },
});
export type StaffWire = FromSchema<typeof staffWireSchema>;

/** `POST /ops/v1/session`: the CSRF token to send on writes, when the session ends, and who signed in. */
export const staffSignInWireSchema = closedObject({ csrf_token: wire.string, expires_at: wire.string, staff: staffWireSchema });
export type StaffSignInWire = FromSchema<typeof staffSignInWireSchema>;

/** `GET /ops/v1/session`: who is signed in and the session's CSRF token, for a reloaded console. */
export const staffSessionWireSchema = closedObject({ csrf_token: wire.string, staff: staffWireSchema });
export type StaffSessionWire = FromSchema<typeof staffSessionWireSchema>;

export const presentStaff = (staff: StaffPrincipal): StaffWire => ({
  id: staff.staffId,
  email: staff.email,
  name: staff.name,
  role: staff.role,
});
