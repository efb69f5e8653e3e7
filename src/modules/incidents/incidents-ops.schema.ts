import { useBeforeRotationWireSchema } from './use-before-rotation.schema.js';
import { closedObject, nullable, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import type { Evidence } from './evidence.service.js';
import {
  INCIDENT_STATES,
  type IncidentDetails,
  type IncidentSummary,
  type IncidentTask,
  type IncidentTimelineEvent,
} from './incident.model.js';
import {
  exposureCategoryWireSchema as exposureCategory,
  hashTierCountsWireSchema,
  recordsByCategoryWireSchema,
} from './scope-ops.schema.js';
import { HASH_TIERS } from '../auth/passwords/hash-strength.js';

const incidentState = { type: 'string', enum: INCIDENT_STATES } as const;

export const exposureWindowWireSchema = closedObject({ starts_at: wire.string, ends_at: wire.nullableString });

export const incidentSummaryWireSchema = closedObject({
  id: wire.integer,
  title: wire.string,
  state: incidentState,
  /** When the controller became aware: the GDPR 72-hour clock starts here. */
  became_aware_at: wire.string,
  exposure_window: nullable(exposureWindowWireSchema),
  cutoff: wire.nullableString,
  created_at: wire.string,
  updated_at: wire.string,
  closed_at: wire.nullableString,
  allowed_next_states: { type: 'array', items: incidentState },
});
export type IncidentSummaryWire = FromSchema<typeof incidentSummaryWireSchema>;

export const taskWireSchema = closedObject({
  id: wire.integer,
  title: wire.string,
  owner: wire.nullableString,
  due_at: wire.nullableString,
  done_at: wire.nullableString,
  kind: wire.string,
  /** Marked public when completed: customers see it among what the vendor has done. */
  public: wire.boolean,
  /** Not done and past its due time by the clock. */
  overdue: wire.boolean,
});
export type TaskWire = FromSchema<typeof taskWireSchema>;

const eventScalar = { type: ['string', 'number', 'boolean', 'null'] } as const;

/**
 * What a timeline event recorded: by name, a scalar, a list of scalars, or a
 * map of named scalars (a wave of notices: `{ queued, already_queued }`).
 */
export const eventDataWireSchema = {
  type: 'object',
  additionalProperties: {
    anyOf: [eventScalar, { type: 'array', items: eventScalar }, { type: 'object', additionalProperties: eventScalar }],
  },
} as const;
export type EventDataWire = FromSchema<typeof eventDataWireSchema>;

export const timelineEventWireSchema = closedObject({
  seq: wire.integer,
  occurred_at: wire.string,
  kind: wire.string,
  summary: wire.string,
  data: eventDataWireSchema,
  /** Who acted: `cli`, `staff:3`, `system`. */
  actor: wire.string,
});
export type TimelineEventWire = FromSchema<typeof timelineEventWireSchema>;

export const incidentWireSchema = closedObject({
  ...incidentSummaryWireSchema.properties,
  /** Ordered by when each event occurred, then by when it was recorded. */
  timeline: { type: 'array', items: timelineEventWireSchema },
  tasks: { type: 'array', items: taskWireSchema },
  overdue_tasks: wire.integer,
});
export type IncidentWire = FromSchema<typeof incidentWireSchema>;

/** The answers of the incident routes. */
export const incidentListAnswerSchema = closedObject({ incidents: { type: 'array', items: incidentSummaryWireSchema } });
export const incidentAnswerSchema = closedObject({ incident: incidentWireSchema });
export const taskAnswerSchema = closedObject({ task: taskWireSchema });
export type IncidentListAnswer = FromSchema<typeof incidentListAnswerSchema>;
export type IncidentAnswer = FromSchema<typeof incidentAnswerSchema>;
export type TaskAnswer = FromSchema<typeof taskAnswerSchema>;

export const presentIncidentSummary = (incident: IncidentSummary): IncidentSummaryWire => ({
  id: incident.id,
  title: incident.title,
  state: incident.state,
  became_aware_at: incident.becameAwareAt,
  exposure_window:
    incident.exposureWindow === null ? null : { starts_at: incident.exposureWindow.startsAt, ends_at: incident.exposureWindow.endsAt },
  cutoff: incident.cutoff,
  created_at: incident.createdAt,
  updated_at: incident.updatedAt,
  closed_at: incident.closedAt,
  allowed_next_states: incident.allowedNextStates,
});

export const presentTask = (task: IncidentTask): TaskWire => ({
  id: task.id,
  title: task.title,
  owner: task.owner,
  due_at: task.dueAt,
  done_at: task.doneAt,
  kind: task.kind,
  public: task.public,
  overdue: task.overdue,
});

type EventScalar = string | number | boolean | null;
type EventValue = EventDataWire[string];

const isEventScalar = (value: unknown): value is EventScalar =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
/** Anything deeper than the declared shape is kept as its JSON text rather than dropped. */
const eventScalarOf = (value: unknown): EventScalar => (isEventScalar(value) ? value : (JSON.stringify(value) ?? null));
const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function presentEventValue(value: unknown): EventValue {
  if (Array.isArray(value)) return value.map(eventScalarOf);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [snakeCase(key), eventScalarOf(inner)]));
  return eventScalarOf(value);
}

/**
 * An event's data in the declared shape, keys in snake_case: the data is
 * stored as each writer recorded it (a notice wave as `{ queued, alreadyQueued }`).
 */
export const presentEventData = (data: Record<string, unknown>): EventDataWire =>
  Object.fromEntries(Object.entries(data).map(([key, value]) => [snakeCase(key), presentEventValue(value)]));

export const presentTimelineEvent = (event: IncidentTimelineEvent): TimelineEventWire => ({
  seq: event.seq,
  occurred_at: event.occurredAt,
  kind: event.kind,
  summary: event.summary,
  data: presentEventData(event.data),
  actor: event.actor,
});

export const presentIncident = (incident: IncidentDetails): IncidentWire => ({
  ...presentIncidentSummary(incident),
  timeline: incident.timeline.map(presentTimelineEvent),
  tasks: incident.tasks.map(presentTask),
  overdue_tasks: incident.overdueTasks,
});

export const actionItemWireSchema = {
  anyOf: [
    closedObject({
      kind: { type: 'string', const: 'rotate_installation_secrets' },
      installation_id: wire.integer,
      app_name: wire.string,
      installed_at: wire.string,
      stale_fields: { type: 'array', items: closedObject({ field: wire.string, set_at: wire.string }) },
    }),
    closedObject({
      kind: { type: 'string', const: 'replace_certificate' },
      certificate_id: wire.integer,
      hostnames: wire.strings,
      uploaded_at: wire.string,
      not_after: wire.string,
    }),
    closedObject({
      kind: { type: 'string', const: 'revoke_api_token' },
      api_token_id: wire.integer,
      description: wire.string,
      token_hint: wire.string,
      created_at: wire.string,
      last_used_at: wire.nullableString,
    }),
    closedObject({
      kind: { type: 'string', const: 'regenerate_oauth_client_secret' },
      oauth_client_id: wire.integer,
      name: wire.string,
      identifier: wire.string,
      secret_set_at: wire.string,
    }),
    closedObject({ kind: { type: 'string', const: 'regenerate_jwt_shared_secret' }, set_at: wire.string }),
    closedObject({ kind: { type: 'string', const: 'replace_saml_configuration' }, set_at: wire.string }),
  ],
} as const;

/** The GDPR Article 33 evidence for one account; the service already writes it in the wire's words. */
export const evidenceWireSchema = closedObject({
  article: { type: 'string', const: 'GDPR Art. 33(3)' },
  generated_at: wire.string,
  controller: closedObject({ account_id: wire.integer, subdomain: wire.string, name: wire.string }),
  incident: closedObject({
    id: wire.integer,
    title: wire.string,
    state: wire.string,
    became_aware_at: wire.string,
    scope_version: wire.integer,
  }),
  nature: closedObject({
    description: wire.string,
    categories: { type: 'array', items: exposureCategory },
    exposure_window: nullable(exposureWindowWireSchema),
    cutoff: wire.string,
  }),
  people: closedObject({ approximate_total: wire.integer, agents_and_admins: wire.integer, end_users: wire.integer }),
  records: closedObject({
    approximate_total: wire.integer,
    by_category: recordsByCategoryWireSchema,
    /** Exposed password credentials per hash tier at exposure time; null unless password hashes were exposed. */
    password_hashes_by_tier: hashTierCountsWireSchema,
  }),
  contact_points: closedObject({
    controller: closedObject({ email: wire.string, role: { type: 'string', enum: ['security_contact', 'owner'] } }),
    processor: closedObject({
      name: wire.string,
      email: wire.string,
      data_protection_email: wire.string,
      security_programme_url: wire.nullableString,
    }),
  }),
  likely_consequences: { type: 'array', items: closedObject({ category: exposureCategory, consequence: wire.string }) },
  password_hash_strength: {
    type: 'array',
    items: closedObject({
      tier: { type: 'string', enum: HASH_TIERS },
      credentials: wire.integer,
      stored_with: wire.string,
      guess_list_cost: wire.string,
    }),
  },
  use_of_exposed_passwords: nullable(useBeforeRotationWireSchema),
  measures_taken: closedObject({
    password_rotation: nullable(closedObject({ targets: wire.integer, changed: wire.integer, remaining: wire.integer })),
    sessions_revoked: wire.integer,
    installations_rotated: wire.integer,
    certificates_revoked: wire.integer,
    actions_taken: { type: 'array', items: closedObject({ title: wire.string, done_at: wire.string }) },
  }),
  measures_proposed: { type: 'array', items: actionItemWireSchema },
  timeline: { type: 'array', items: closedObject({ occurred_at: wire.string, kind: wire.string, summary: wire.string }) },
});
export type EvidenceWire = FromSchema<typeof evidenceWireSchema>;

/** The evidence as the service builds it is the wire's shape: checked here, sent as it is. */
export const presentEvidence = (evidence: Evidence): EvidenceWire => evidence;
