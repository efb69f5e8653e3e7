import { settings } from '../../config/defaults.js';
import type { RetentionConfig } from '../../platform/service-deps.js';

/** The kinds of data retention removes, in the order a run handles them. */
export const RETENTION_KINDS = [
  'sessions',
  'login_attempts',
  'message_bodies',
  'legacy_password_hashes',
  'finished_jobs',
  'sign_in_events',
  'sign_in_addresses',
  'security_events',
  'audit_events',
] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

export const DAYS_SETTING: Record<RetentionKind, keyof RetentionConfig> = {
  audit_events: 'retentionAuditEventsDays',
  sessions: 'retentionSessionsDays',
  login_attempts: 'retentionLoginAttemptsDays',
  message_bodies: 'retentionMessageBodiesDays',
  legacy_password_hashes: 'retentionLegacyHashesDays',
  finished_jobs: 'retentionFinishedJobsDays',
  sign_in_events: 'retentionSignInEventsDays',
  sign_in_addresses: 'retentionSignInAddressesDays',
  security_events: 'retentionSecurityEventsDays',
};

export interface RetentionPolicy {
  days: Record<RetentionKind, number>;
  batchSize: number;
}

function documentedDefault(key: keyof RetentionConfig): number {
  return Number(settings.find((spec) => spec.key === key)?.default);
}

/** The policy of a configuration; a period it leaves out takes the documented default (`config/defaults.ts`). */
export function retentionPolicyOf(config: Partial<RetentionConfig>): RetentionPolicy {
  const days = Object.fromEntries(
    RETENTION_KINDS.map((kind) => [kind, config[DAYS_SETTING[kind]] ?? documentedDefault(DAYS_SETTING[kind])]),
  ) as Record<RetentionKind, number>;
  return { days, batchSize: config.retentionBatchSize ?? documentedDefault('retentionBatchSize') };
}

/** The instant before which data of a kind is past its period. */
export function cutoffOf(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}
