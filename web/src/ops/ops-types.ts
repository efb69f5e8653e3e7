// Type-only imports of the server's views: erased from the bundle, they keep
// the console reading exactly what `/ops/v1` sends.

/** Who is signed in, as `/ops/v1/session` answers. */
export type { StaffWire as Staff } from '../../../src/modules/staff/staff-session.schema.js';
import type { StaffWire } from '../../../src/modules/staff/staff-session.schema.js';

/** What every page of the console gets: the operator and the CSRF token for writes. */
export interface OpsContext {
  staff: StaffWire;
  csrf: string;
}
