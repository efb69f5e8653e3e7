import type { Layer } from '../support/import-graph.js';

/** The layers of `src/`, lowest first; the README's Architecture section shows the same table. */
export const LAYERS: Layer[] = [
  { name: 'errors', units: ['src/errors.ts', 'src/error-catalogue.ts'] },
  { name: 'configuration', units: ['src/config/'] },
  { name: 'database', units: ['src/db/'] },
  { name: 'platform', units: ['src/platform/'] },
  { name: 'tenancy and mail', units: ['src/modules/accounts/', 'src/modules/courier/'] },
  { name: 'people', units: ['src/modules/users/'] },
  { name: 'authentication', units: ['src/modules/auth/', 'src/modules/staff/'] },
  { name: 'what customers hold', units: ['src/modules/apps/', 'src/modules/certificates/'] },
  { name: 'operator access', units: ['src/modules/staff-access/', 'src/modules/security-events/'] },
  { name: 'incidents', units: ['src/modules/incidents/'] },
  { name: 'telling people', units: ['src/modules/advisories/', 'src/modules/notices/'] },
  {
    name: 'whole-population work',
    units: ['src/modules/population/', 'src/modules/retention/', 'src/modules/erasure/', 'src/modules/web-console/'],
  },
  { name: 'composition', units: ['src/app.ts', 'src/main.ts', 'src/cli/'] },
];
