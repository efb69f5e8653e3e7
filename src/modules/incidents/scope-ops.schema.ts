import { closedObject, nullable, wire, wireType, type FromSchema } from '../../platform/http/wire-schema.js';
import { EXPOSURE_CATEGORIES, type ExposureCategory } from './exposure-categories.js';
import type { ExposureChange } from './exposures.service.js';
import type { Exposure, ScopeAccount, ScopeComparison, ScopeSnapshot } from './exposures.model.js';
import type { ExposureExplanation, ScopeExplanation } from './scope.service.js';
import type { ExplainedSelector } from './selectors/selector.explain.js';
import { SELECTOR_FIELDS, SELECTOR_OPS } from './selectors/selector.fields.js';
import { selectorRef } from './selectors/selector.schema.js';

export const exposureCategoryWireSchema = { type: 'string', enum: EXPOSURE_CATEGORIES } as const;
const categories = { type: 'array', items: exposureCategoryWireSchema } as const;

/** Approximate records by exposure category: only the categories concerned are present. */
export const recordsByCategoryWireSchema = closedObject(
  Object.fromEntries(EXPOSURE_CATEGORIES.map((category) => [category, wire.integer])) as Record<ExposureCategory, typeof wire.integer>,
  EXPOSURE_CATEGORIES,
);

/** Who an exposure reaches: the accounts a selector matches, or a list of account ids from forensics. */
export const exposureTargetWireSchema = {
  anyOf: [
    closedObject({ kind: { type: 'string', const: 'selector' }, selector: selectorRef }),
    closedObject({ kind: { type: 'string', const: 'accounts' }, account_ids: wire.integers }),
  ],
} as const;

export const exposureWireSchema = closedObject({
  id: wire.integer,
  category: exposureCategoryWireSchema,
  target: exposureTargetWireSchema,
  added_at: wire.string,
  /** Removed exposures stay on record. */
  removed_at: wire.nullableString,
});
export type ExposureWire = FromSchema<typeof exposureWireSchema>;

/** `GET /ops/v1/incidents/:id/exposures`. */
export const exposureListAnswerSchema = closedObject({ exposures: { type: 'array', items: exposureWireSchema } });
export type ExposureListAnswer = FromSchema<typeof exposureListAnswerSchema>;

/** Adding or removing an exposure: the exposure, and the scope version the change wrote. */
export const exposureChangeWireSchema = closedObject({
  exposure: exposureWireSchema,
  scope_version: wire.integer,
  accounts_in_scope: wire.integer,
});
export type ExposureChangeWire = FromSchema<typeof exposureChangeWireSchema>;

const peopleByRoleWireSchema = closedObject({ agents: wire.integer, end_users: wire.integer });

/**
 * Exposed password credentials per hash tier (README, "Risk by hash strength"):
 * the hash each was stored with at exposure time; null where `password_hashes`
 * was not exposed (or in a scope version from before tiers were counted).
 */
export const hashTierCountsWireSchema = nullable(closedObject({ critical: wire.integer, high: wire.integer, moderate: wire.integer }));

export const scopeAccountWireSchema = closedObject({
  subdomain: wire.string,
  account_id: wire.integer,
  categories,
  /** Distinct people matched by the user-level categories. */
  people: wire.integer,
  people_by_role: peopleByRoleWireSchema,
  records: recordsByCategoryWireSchema,
  hash_tiers: hashTierCountsWireSchema,
});
export type ScopeAccountWire = FromSchema<typeof scopeAccountWireSchema>;

/** One scope version: affected accounts with their categories, people and records, and the totals. */
export const scopeWireSchema = closedObject({
  incident_id: wire.integer,
  version: wire.integer,
  created_at: wire.string,
  reason: wire.string,
  accounts: { type: 'array', items: scopeAccountWireSchema },
  totals: closedObject({
    accounts: wire.integer,
    people: wire.integer,
    people_by_role: peopleByRoleWireSchema,
    records: recordsByCategoryWireSchema,
    hash_tiers: hashTierCountsWireSchema,
  }),
});
export type ScopeWire = FromSchema<typeof scopeWireSchema>;

export const scopeComparisonWireSchema = closedObject({
  incident_id: wire.integer,
  from: wire.integer,
  to: wire.integer,
  accounts_added: wire.strings,
  accounts_removed: wire.strings,
  categories_changed: { type: 'array', items: closedObject({ subdomain: wire.string, added: categories, removed: categories }) },
});
export type ScopeComparisonWire = FromSchema<typeof scopeComparisonWireSchema>;

export const EXPLAINED_SELECTOR_SCHEMA_ID = 'riposte-explained-selector';

const selectorScalar = { type: ['string', 'integer', 'boolean'] } as const;
const explainedNode = { matched: wire.boolean, path: wire.string } as const;
const explainedRef = { $ref: `${EXPLAINED_SELECTOR_SCHEMA_ID}#` } as const;

/**
 * A selector evaluated on one record: the selector's tree, each node with
 * whether it matched and its path, each clause with the record's value of
 * its field (`actual`). Registered once per HTTP context with `addSchema`.
 */
export const explainedSelectorSchema = {
  $id: EXPLAINED_SELECTOR_SCHEMA_ID,
  description: 'A selector evaluated on one record: each node with `matched` and `path`, each clause with the `actual` value.',
  anyOf: [
    closedObject({
      field: { type: 'string', enum: Object.keys(SELECTOR_FIELDS) },
      op: { type: 'string', enum: SELECTOR_OPS },
      value: { anyOf: [selectorScalar, { type: 'array', items: selectorScalar }] },
      actual: { anyOf: [{ type: ['string', 'integer', 'boolean', 'null'] }, wire.strings] },
      ...explainedNode,
    }),
    closedObject({ all: { type: 'array', items: explainedRef }, ...explainedNode }),
    closedObject({ any: { type: 'array', items: explainedRef }, ...explainedNode }),
    closedObject({ not: explainedRef, ...explainedNode }),
  ],
} as const;

/** Where an answer holds an explained selector; its type is the service's. */
const explainedSelectorRef = wireType<ExplainedSelector>()(explainedRef);

export const exposureExplanationWireSchema = closedObject(
  {
    exposure_id: wire.integer,
    category: exposureCategoryWireSchema,
    kind: { type: 'string', enum: ['selector', 'accounts'] },
    matched: wire.boolean,
    /** Why, in words: listed, the account's clauses, or how many of its users the selector matches. */
    reason: wire.string,
    /** An account-level selector evaluated on the account. */
    account: explainedSelectorRef,
    /** A user selector evaluated on each user with the email asked about (one per realm). */
    users: {
      type: 'array',
      items: closedObject({ user_id: wire.integer, realm: wire.string, matched: wire.boolean, explanation: explainedSelectorRef }),
    },
    /** Without an email: how many of the account's users a user selector matches. */
    matched_users: wire.integer,
  },
  ['account', 'users', 'matched_users'],
);
export type ExposureExplanationWire = FromSchema<typeof exposureExplanationWireSchema>;

export const scopeExplanationWireSchema = closedObject({
  incident_id: wire.integer,
  subdomain: wire.string,
  email: wire.nullableString,
  /** The latest scope version, or null when none was computed yet. */
  version: wire.nullableInteger,
  in_scope: wire.boolean,
  categories,
  exposures: { type: 'array', items: exposureExplanationWireSchema },
});
export type ScopeExplanationWire = FromSchema<typeof scopeExplanationWireSchema>;

export const presentExposure = (exposure: Exposure): ExposureWire => ({
  id: exposure.id,
  category: exposure.category,
  target:
    exposure.target.kind === 'selector'
      ? { kind: 'selector', selector: exposure.target.selector }
      : { kind: 'accounts', account_ids: exposure.target.accountIds },
  added_at: exposure.addedAt,
  removed_at: exposure.removedAt,
});

export const presentExposureChange = (change: ExposureChange): ExposureChangeWire => ({
  exposure: presentExposure(change.exposure),
  scope_version: change.scopeVersion,
  accounts_in_scope: change.accountsInScope,
});

const presentScopeAccount = (account: ScopeAccount): ScopeAccountWire => ({
  subdomain: account.subdomain,
  account_id: account.accountId,
  categories: account.categories,
  people: account.people,
  people_by_role: { agents: account.peopleByRole.agents, end_users: account.peopleByRole.endUsers },
  records: { ...account.records },
  hash_tiers: account.hashTiers === null ? null : { ...account.hashTiers },
});

export const presentScope = (scope: ScopeSnapshot): ScopeWire => ({
  incident_id: scope.incidentId,
  version: scope.version,
  created_at: scope.createdAt,
  reason: scope.reason,
  accounts: scope.accounts.map(presentScopeAccount),
  totals: {
    accounts: scope.totals.accounts,
    people: scope.totals.people,
    people_by_role: { agents: scope.totals.peopleByRole.agents, end_users: scope.totals.peopleByRole.endUsers },
    records: { ...scope.totals.records },
    hash_tiers: scope.totals.hashTiers === null ? null : { ...scope.totals.hashTiers },
  },
});

export const presentScopeComparison = (comparison: ScopeComparison): ScopeComparisonWire => ({
  incident_id: comparison.incidentId,
  from: comparison.from,
  to: comparison.to,
  accounts_added: comparison.accountsAdded,
  accounts_removed: comparison.accountsRemoved,
  categories_changed: comparison.categoriesChanged.map((change) => ({
    subdomain: change.subdomain,
    added: change.added,
    removed: change.removed,
  })),
});

const presentExposureExplanation = (explanation: ExposureExplanation): ExposureExplanationWire => ({
  exposure_id: explanation.exposureId,
  category: explanation.category,
  kind: explanation.kind,
  matched: explanation.matched,
  reason: explanation.reason,
  ...(explanation.account === undefined ? {} : { account: explanation.account }),
  ...(explanation.users === undefined
    ? {}
    : {
        users: explanation.users.map((user) => ({
          user_id: user.userId,
          realm: user.realm,
          matched: user.matched,
          explanation: user.explanation,
        })),
      }),
  ...(explanation.matchedUsers === undefined ? {} : { matched_users: explanation.matchedUsers }),
});

export const presentScopeExplanation = (explanation: ScopeExplanation): ScopeExplanationWire => ({
  incident_id: explanation.incidentId,
  subdomain: explanation.subdomain,
  email: explanation.email,
  version: explanation.version,
  in_scope: explanation.inScope,
  categories: explanation.categories,
  exposures: explanation.exposures.map(presentExposureExplanation),
});
