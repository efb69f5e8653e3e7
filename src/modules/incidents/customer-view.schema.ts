import { closedObject, nullable, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import { NOT_AFFECTED_DESCRIPTION, type SecurityIncidentsView } from './customer-view.service.js';
import { INCIDENT_STATES } from './incident.model.js';
import { actionItemWireSchema } from './incidents-ops.schema.js';
import { useBeforeRotationWireSchema } from './use-before-rotation.schema.js';
import { exposureCategoryWireSchema, hashTierCountsWireSchema, recordsByCategoryWireSchema } from './scope-ops.schema.js';

// The customer view is built in wire names already: this schema closes it, and the presenter at the end
// checks that what the service builds is what the schema declares. The to-do items, categories and records
// are the shapes operators read too; the evidence's schema is theirs (`incidents-ops.schema.ts`).

export type ActionItemWire = FromSchema<typeof actionItemWireSchema>;

/** One incident that affects the account, as its admin sees it. */
export const accountIncidentWireSchema = closedObject({
  id: wire.integer,
  title: wire.string,
  state: { type: 'string', enum: INCIDENT_STATES },
  became_aware_at: wire.string,
  affected: { type: 'boolean', const: true },
  categories: { type: 'array', items: exposureCategoryWireSchema },
  people: closedObject({ total: wire.integer, agents: wire.integer, end_users: wire.integer }),
  records: recordsByCategoryWireSchema,
  /** Exposed password credentials per hash tier; null unless password hashes were exposed. */
  password_hash_tiers: hashTierCountsWireSchema,
  action_items: { type: 'array', items: actionItemWireSchema },
  rotation: nullable(closedObject({ targets: wire.integer, changed: wire.integer, remaining: wire.integer })),
  /** Successful sign-ins with the exposed password before rotation; null until a campaign targets the account's users. */
  use_before_rotation: nullable(useBeforeRotationWireSchema),
  /** What the vendor has done, by completion date. */
  actions_taken: { type: 'array', items: closedObject({ title: wire.string, done_at: wire.string }) },
});
export type AccountIncidentWire = FromSchema<typeof accountIncidentWireSchema>;

/** `GET /api/v2/security/incidents`: the incidents that affect the account, or none with `affected: false` and why. */
export const securityIncidentsWireSchema = closedObject(
  {
    incidents: { type: 'array', items: accountIncidentWireSchema },
    affected: { type: 'boolean', const: false },
    description: { type: 'string', const: NOT_AFFECTED_DESCRIPTION },
  },
  ['affected', 'description'],
);
export type SecurityIncidentsWire = FromSchema<typeof securityIncidentsWireSchema>;

/** The view as the service builds it is the wire's shape: checked here, sent as it is. */
export const presentSecurityIncidents = (view: SecurityIncidentsView): SecurityIncidentsWire => view;
