import type { User } from '../../db/schema.js';
import { pageAnswerSchema } from '../../platform/http/pagination.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import { USER_ROLES } from '../accounts/roles.js';
import { presentUser } from '../users/users.schema.js';
import type { StaffInstallationView } from './account-work.service.js';

/** A user of the account as staff see it: the customer API's user object (Zendesk's names, already snake_case). */
export const staffUserWireSchema = closedObject({
  id: wire.integer,
  url: wire.string,
  name: wire.string,
  email: wire.string,
  created_at: wire.string,
  updated_at: wire.string,
  phone: wire.nullableString,
  locale: wire.nullableString,
  role: { type: 'string', enum: USER_ROLES },
  active: wire.boolean,
  suspended: wire.boolean,
  verified: wire.boolean,
  external_id: wire.nullableString,
  last_login_at: wire.nullableString,
  realm: wire.string,
  products: wire.strings,
  sso: wire.boolean,
});
export type StaffUserWire = FromSchema<typeof staffUserWireSchema>;

/** An installation as staff see it: which app, and when each secret was last set; never a setting's value. */
export const staffInstallationWireSchema = closedObject({
  id: wire.integer,
  app_id: wire.integer,
  app_name: wire.nullableString,
  product: wire.string,
  enabled: wire.boolean,
  created_at: wire.string,
  updated_at: wire.string,
  /** By secure setting's name. */
  secure_settings: { type: 'object', additionalProperties: closedObject({ set_at: wire.string }) },
});
export type StaffInstallationWire = FromSchema<typeof staffInstallationWireSchema>;

/** `GET /ops/v1/accounts/:subdomain/users`: a page of users. */
export const staffUserPageAnswerSchema = pageAnswerSchema('users', staffUserWireSchema);
export type StaffUserPageAnswer = FromSchema<typeof staffUserPageAnswerSchema>;

/** `GET /ops/v1/accounts/:subdomain/installations`: a page of installations. */
export const staffInstallationPageAnswerSchema = pageAnswerSchema('installations', staffInstallationWireSchema);
export type StaffInstallationPageAnswer = FromSchema<typeof staffInstallationPageAnswerSchema>;

/** Showing, suspending or reinstating one user. */
export const staffUserAnswerSchema = closedObject({ user: staffUserWireSchema });
export type StaffUserAnswer = FromSchema<typeof staffUserAnswerSchema>;

/** The customer API's presenter, checked against the staff wire shape. */
export const presentStaffUser = (user: User, baseUrl: string): StaffUserWire => presentUser(user, baseUrl);

/** The service's view is already the wire's shape. */
export const presentStaffInstallation = (installation: StaffInstallationView): StaffInstallationWire => installation;
