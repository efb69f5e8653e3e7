import { saveAdvisoryTranslation } from '../../src/modules/advisories/advisory-edits.service.js';
import type { ServiceDeps } from '../../src/platform/service-deps.js';

/**
 * Adds the machine-translated French version ("Mots de passe" / "Une copie a
 * fuité.") the advisory tests publish beside the English source.
 */
export async function addFrenchTranslation(deps: Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>, advisoryId: number): Promise<void> {
  await saveAdvisoryTranslation(deps, {
    advisoryId,
    locale: 'fr',
    title: 'Mots de passe',
    body: 'Une copie a fuité.',
    machineTranslated: true,
    actor: { type: 'cli' },
  });
}
