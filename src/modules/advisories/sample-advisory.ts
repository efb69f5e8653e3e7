import type { Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { appendAdvisoryUpdate, saveAdvisoryTranslation } from './advisory-edits.service.js';
import { createAdvisory, publishAdvisory } from './advisories.service.js';
import { SAMPLE_ADVISORY } from './sample-advisory.text.js';

/**
 * The demo incident's public advisory: English source, French translation by
 * a person, one dated update in both, published. Returns its id.
 *
 * @example
 * const advisoryId = await createSampleAdvisory(deps, sampleIncidentId, { type: 'cli', id: 'demo' });
 */
export async function createSampleAdvisory(
  deps: Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>,
  incidentId: number,
  actor: Actor,
): Promise<number> {
  const { en, fr } = SAMPLE_ADVISORY;
  const advisory = await createAdvisory(deps, { title: en.title, body: en.body, sourceLocale: 'en', incidentId, actor });
  await saveAdvisoryTranslation(deps, { advisoryId: advisory.id, locale: 'fr', title: fr.title, body: fr.body, actor });
  await publishAdvisory(deps, advisory.id, actor);
  await appendAdvisoryUpdate(deps, { advisoryId: advisory.id, body: en.update, translations: [{ locale: 'fr', body: fr.update }], actor });
  return advisory.id;
}
