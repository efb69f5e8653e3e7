import type { ServiceDeps } from '../../platform/service-deps.js';
import { getCampaign } from '../incidents/campaigns.service.js';
import { changedPerBucket, flaggedPerBucket, type BucketPrefixLength, type SeriesBucketRow } from './campaign-series.repo.js';

/** How finely a series is grouped, finest first. */
export const SERIES_RESOLUTIONS = ['exact', 'second', 'minute', 'hour', 'day'] as const;
export type SeriesResolution = (typeof SERIES_RESOLUTIONS)[number];

/** Cumulative counts at the end of one bucket. */
export interface CompletionPoint {
  at: string;
  /** Targets flagged so far (the campaign's progress). */
  flagged: number;
  /** Flagged targets who have set a new password so far (its completion). */
  changed: number;
}

export interface CampaignSeries {
  campaignId: number;
  total: number;
  resolution: SeriesResolution;
  points: CompletionPoint[];
}

const RESOLUTIONS: Array<{ resolution: SeriesResolution; length: BucketPrefixLength; suffix: string; upToMs: number }> = [
  { resolution: 'exact', length: 24, suffix: '', upToMs: 2 * 60_000 },
  { resolution: 'second', length: 19, suffix: '.000Z', upToMs: 15 * 60_000 },
  { resolution: 'minute', length: 16, suffix: ':00.000Z', upToMs: 2 * 86_400_000 },
  { resolution: 'hour', length: 13, suffix: ':00:00.000Z', upToMs: 120 * 86_400_000 },
  { resolution: 'day', length: 10, suffix: 'T00:00:00.000Z', upToMs: Number.POSITIVE_INFINITY },
];

/** Exact timestamps give one point per batch: only while batches are few. */
const MAX_EXACT_POINTS = 500;

type Resolution = (typeof RESOLUTIONS)[number];
const COARSEST = RESOLUTIONS[RESOLUTIONS.length - 1] as Resolution;

/** The finest resolution that keeps a series to a few hundred points over `spanMs` and `batches`. */
export function resolutionFor(spanMs: number, batches: number): Resolution {
  const fitting = RESOLUTIONS.filter((candidate) => candidate.resolution !== 'exact' || batches <= MAX_EXACT_POINTS);
  return fitting.find((candidate) => spanMs <= candidate.upToMs) ?? COARSEST;
}

/** Merges per-bucket counts into cumulative points, in time order. */
export function cumulativePoints(flagged: SeriesBucketRow[], changed: SeriesBucketRow[], suffix: string): CompletionPoint[] {
  const perBucket = new Map<string, { flagged: number; changed: number }>();
  for (const row of flagged) perBucket.set(row.bucket, { flagged: row.users, changed: 0 });
  for (const row of changed) perBucket.set(row.bucket, { flagged: perBucket.get(row.bucket)?.flagged ?? 0, changed: row.users });
  let flaggedSoFar = 0;
  let changedSoFar = 0;
  return [...perBucket.keys()].sort().map((bucket) => {
    const counts = perBucket.get(bucket) ?? { flagged: 0, changed: 0 };
    flaggedSoFar += counts.flagged;
    changedSoFar += counts.changed;
    return { at: `${bucket}${suffix}`, flagged: flaggedSoFar, changed: changedSoFar };
  });
}

/**
 * A campaign's progress and completion over time, for the console's chart:
 * cumulative flagged targets and targets who set a new password since, per
 * second, minute, hour or day depending on how long the campaign has run.
 * Two grouped queries; no per-target rows leave the database.
 *
 * @example
 * const series = await campaignSeries(deps, 3);
 * series.points.at(-1); // { at: '2026-06-01T12:00:04.000Z', flagged: 84217, changed: 1200 }
 */
export async function campaignSeries(deps: Pick<ServiceDeps, 'db' | 'clock'>, campaignId: number): Promise<CampaignSeries> {
  const campaign = await getCampaign(deps, campaignId);
  if (campaign.startedAt === null) return { campaignId, total: campaign.progress.total, resolution: 'exact', points: [] };
  const startedAt = Date.parse(campaign.startedAt);
  const { resolution, length, suffix } = resolutionFor(deps.clock.now().getTime() - startedAt, campaign.batches);
  const [flagged, changed] = await Promise.all([
    flaggedPerBucket(deps.db, campaignId, length),
    changedPerBucket(deps.db, campaignId, length),
  ]);
  const start: CompletionPoint = { at: campaign.startedAt, flagged: 0, changed: 0 };
  // A bucket's start may fall just before the campaign's own start; a chart wants time to move forward.
  const points = cumulativePoints(flagged, changed, suffix).map((point) =>
    Date.parse(point.at) < startedAt ? { ...point, at: campaign.startedAt as string } : point,
  );
  return { campaignId, total: campaign.progress.total, resolution, points: [start, ...points] };
}
