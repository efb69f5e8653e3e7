import type { Selectable } from 'kysely';
import type { CertificatesTable } from '../../db/schema.js';

export type CertificateRow = Selectable<CertificatesTable>;

/** A row without its sealed key: what every read outside serving works with. */
export type CertificateRecord = Omit<CertificateRow, 'private_key_sealed'>;

/** `pending` → `active` → `superseded` | `revoked`; `expired` is stored for imported history and shown for any other once `not_after` has passed. */
export type CertificateState = CertificateRow['state'];

export const CERTIFICATE_STATES = ['pending', 'active', 'superseded', 'revoked', 'expired'] as const;

/** The state a customer sees as of `now`: an expiry needs no job to show (revoked stays revoked). */
export function effectiveState(row: Pick<CertificateRecord, 'state' | 'not_after'>, now: Date): CertificateState {
  if (row.state === 'revoked') return 'revoked';
  return row.not_after <= now.toISOString() ? 'expired' : row.state;
}

export const parseHostnames = (json: string): string[] => JSON.parse(json) as string[];
