import { campaignWireSchema, campaignWithCompletionAnswerSchema, completionWireSchema } from '../incidents/campaigns-ops.schema.js';
import { selectorRef } from '../incidents/selectors/selector.schema.js';
import { SELECTOR_RULES, type Selector, type SelectorProblem } from '../incidents/selectors/selector.model.js';
import { closedObject, wire, type FromSchema } from '../../platform/http/wire-schema.js';
import { SERIES_RESOLUTIONS, type CampaignSeries } from './campaign-series.service.js';

export const selectorProblemWireSchema = closedObject({
  /** Where inside the selector, e.g. `all[2].any[0].op`; `''` for the selector itself. */
  path: wire.string,
  rule: { type: 'string', enum: SELECTOR_RULES },
  description: wire.string,
});

/** `POST /ops/v1/selectors/validate`: valid with its normalised form, or the problems by path. */
export const selectorValidationWireSchema = {
  anyOf: [
    closedObject({ valid: { type: 'boolean', const: true }, selector: selectorRef }),
    closedObject({
      valid: { type: 'boolean', const: false },
      description: wire.string,
      problems: { type: 'array', items: selectorProblemWireSchema },
    }),
  ],
} as const;
export type SelectorValidationWire = FromSchema<typeof selectorValidationWireSchema>;

export const presentValidSelector = (selector: Selector): SelectorValidationWire => ({ valid: true, selector });
export const presentSelectorProblems = (description: string, problems: readonly SelectorProblem[]): SelectorValidationWire => ({
  valid: false,
  description,
  problems: problems.map((problem) => ({ path: problem.path, rule: problem.rule, description: problem.description })),
});

/** `GET /ops/v1/incidents/:id/campaigns`: newest first. */
export const campaignListWireSchema = closedObject({ campaigns: { type: 'array', items: campaignWireSchema } });

/** Cumulative counts at the end of one bucket. */
export const completionPointWireSchema = closedObject({ at: wire.string, flagged: wire.integer, changed: wire.integer });
export type CompletionPointWire = FromSchema<typeof completionPointWireSchema>;

export const campaignSeriesWireSchema = closedObject({
  campaign_id: wire.integer,
  total: wire.integer,
  resolution: { type: 'string', enum: SERIES_RESOLUTIONS },
  points: { type: 'array', items: completionPointWireSchema },
});
export type CampaignSeriesWire = FromSchema<typeof campaignSeriesWireSchema>;

/** `GET /ops/v1/campaigns/:id/series`. */
export const campaignSeriesAnswerSchema = closedObject({ series: campaignSeriesWireSchema });

export const presentSeries = (series: CampaignSeries): CampaignSeriesWire => ({
  campaign_id: series.campaignId,
  total: series.total,
  resolution: series.resolution,
  points: series.points.map((point) => ({ at: point.at, flagged: point.flagged, changed: point.changed })),
});

/**
 * The `data` of each event `GET /ops/v1/campaigns/:id/events` sends, by
 * event name: the same wire shapes as the campaign routes' answers.
 */
export const campaignEventSchemas = {
  /** First, once: the campaign and its completion. */
  snapshot: campaignWithCompletionAnswerSchema,
  /** On every change of state or progress, with when it was seen (or the campaign's end). */
  progress: closedObject({ campaign: campaignWireSchema, at: wire.string }),
  /** Now and then, and on a change of state. */
  completion: completionWireSchema,
  /** The staff session ended; the stream closes. */
  signed_out: closedObject({ description: wire.string }),
} as const;
export type CampaignEventName = keyof typeof campaignEventSchemas;
export type CampaignEventWire<E extends CampaignEventName> = FromSchema<(typeof campaignEventSchemas)[E]>;
