// Type-only imports of the answers' wire schemas: erased from the bundle, they keep
// the console reading exactly what `/ops/v1/advisories` sends.
import type { AdvisoryLocaleWire } from '../../../src/modules/advisories/advisories-ops.schema.js';

export type {
  AdvisoryAnswer,
  AdvisoryDetailsWire as Advisory,
  AdvisoryListAnswer,
  AdvisoryPreviewAnswer,
} from '../../../src/modules/advisories/advisories-ops.schema.js';

/** The locales an advisory is written in, as the server's `ADVISORY_LOCALES` (the console bundles this copy). */
export const ADVISORY_LOCALES = ['en', 'fr'] as const satisfies readonly AdvisoryLocaleWire[];
