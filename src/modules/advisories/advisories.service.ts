import { reserveIds } from '../../db/sequences.js';
import { AppError, invalid } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { findIncident } from '../incidents/incidents.repo.js';
import { actorLabel, advisoryNotFound, localeField, lockAdvisory, markdownBody, requiredText } from './advisory-input.js';
import { ADVISORY_LOCALES } from './advisory-locales.js';
import { MAX_ADVISORY_BODY, MAX_ADVISORY_TITLE, type AdvisoryDetails, type AdvisoryState, type AdvisorySummary } from './advisory.model.js';
import { detailsOf, summaryOf } from './advisory-views.js';
import {
  ADVISORY_ID_SEQUENCE,
  findAdvisory,
  insertAdvisory,
  insertRevision,
  listAdvisoryRows,
  listRevisions,
  listTranslations,
  listUpdateBodies,
  listUpdates,
  saveTranslationHead,
} from './advisories.repo.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;

export interface CreateAdvisoryInput {
  title: string;
  /** Markdown. */
  body: string;
  /** The authoritative locale; `en` when absent. */
  sourceLocale?: string;
  incidentId?: number | null;
  actor: Actor;
}

/** Reads an advisory with its translations, updates and every revision. */
export async function getAdvisory(deps: Pick<Deps, 'db'>, id: number): Promise<AdvisoryDetails> {
  const advisory = await findAdvisory(deps.db, id);
  if (advisory === undefined) throw advisoryNotFound(id);
  const [translations, revisions, updates, bodies] = await Promise.all([
    listTranslations(deps.db, [advisory.id]),
    listRevisions(deps.db, advisory.id),
    listUpdates(deps.db, advisory.id),
    listUpdateBodies(deps.db, advisory.id),
  ]);
  return detailsOf(advisory, { translations, revisions, updates, bodies });
}

/** Every advisory, newest first, drafts included. */
export async function listAdvisories(deps: Pick<Deps, 'db'>): Promise<AdvisorySummary[]> {
  const advisories = await listAdvisoryRows(deps.db);
  const translations = await listTranslations(
    deps.db,
    advisories.map((row) => row.id),
  );
  return advisories.map((advisory) =>
    summaryOf(
      advisory,
      translations.filter((row) => row.advisory_id === advisory.id),
    ),
  );
}

/**
 * Creates a draft advisory with its source text as revision 1 of the source
 * locale; audited in the same transaction. Drafts are invisible to the public
 * until `publishAdvisory`.
 *
 * @example
 * const advisory = await createAdvisory(deps, { title: 'Password reset', body: '# What happened\n...', actor: { type: 'cli' } });
 */
export async function createAdvisory(deps: Deps, input: CreateAdvisoryInput): Promise<AdvisoryDetails> {
  const sourceLocale = localeField('source_locale', input.sourceLocale ?? ADVISORY_LOCALES[0]);
  const title = requiredText('title', input.title, MAX_ADVISORY_TITLE);
  const body = markdownBody('body', input.body, MAX_ADVISORY_BODY);
  const incidentId = input.incidentId ?? null;
  const now = deps.clock.now().toISOString();
  const id = await deps.db.transaction().execute(async (tx) => {
    if (incidentId !== null && (await findIncident(tx, incidentId)) === undefined)
      throw invalid(`Incident ${incidentId} does not exist; give the id of an incident, or none.`, { incident_id: ['not found'] });
    const advisoryId = await reserveIds(tx, ADVISORY_ID_SEQUENCE, 1);
    await insertAdvisory(tx, {
      id: advisoryId,
      incident_id: incidentId,
      source_locale: sourceLocale,
      state: 'draft',
      created_at: now,
      updated_at: now,
      published_at: null,
    });
    const first = {
      advisory_id: advisoryId,
      locale: sourceLocale,
      revision: 1,
      source_revision: 1,
      machine_translated: 0 as const,
      title,
      body,
    };
    await insertRevision(tx, { ...first, created_at: now, actor: actorLabel(input.actor) });
    await saveTranslationHead(tx, { ...first, created_at: now, edited_at: now });
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'advisory.created',
      target: { type: 'advisory', id: advisoryId },
      data: { source_locale: sourceLocale, incident_id: incidentId, title },
    });
    return advisoryId;
  });
  return getAdvisory(deps, id);
}

async function changeState(deps: Deps, id: number, to: AdvisoryState, actor: Actor): Promise<AdvisoryDetails> {
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (tx) => {
    const current = await lockAdvisory(tx, id, now);
    if (current.state === to)
      throw new AppError('AlreadyInState', `Advisory ${id} is already ${to === 'published' ? 'published' : 'a draft'}.`, {
        details: { state: current.state },
      });
    await lockAdvisory(tx, id, now, { state: to, published_at: to === 'published' ? now : null });
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor,
      action: to === 'published' ? 'advisory.published' : 'advisory.unpublished',
      target: { type: 'advisory', id },
      data: { from: current.state, to },
    });
  });
  return getAdvisory(deps, id);
}

/** Makes a draft public at `/hc/{locale}/articles/{id}` in every locale it has. */
export const publishAdvisory = (deps: Deps, id: number, actor: Actor): Promise<AdvisoryDetails> =>
  changeState(deps, id, 'published', actor);

/** Takes a published advisory back to draft: the public gets 404 again. */
export const unpublishAdvisory = (deps: Deps, id: number, actor: Actor): Promise<AdvisoryDetails> => changeState(deps, id, 'draft', actor);
