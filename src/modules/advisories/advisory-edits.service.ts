import { AppError, invalid, notFound } from '../../errors.js';
import { PLATFORM_ACCOUNT_ID, recordAudit, type Actor } from '../../platform/audit/audit.service.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { actorLabel, advisoryNotFound, localeField, lockAdvisory, markdownBody, requiredText } from './advisory-input.js';
import {
  MAX_ADVISORY_BODY,
  MAX_ADVISORY_TITLE,
  MAX_UPDATE_BODY,
  type AdvisoryRevision,
  type AdvisoryTranslation,
  type AdvisoryUpdate,
} from './advisory.model.js';
import { revisionOf, translationOf, updatesOf } from './advisory-views.js';
import {
  appendUpdate,
  findAdvisory,
  findTranslation,
  findUpdate,
  findUpdateBody,
  insertRevision,
  insertUpdateBody,
  listRevisions,
  listUpdateBodies,
  saveTranslationHead,
  type AdvisoryRow,
} from './advisories.repo.js';

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring'>;
type Tx = Deps['db'];

export interface SaveTranslationInput {
  advisoryId: number;
  locale: string;
  title: string;
  /** Markdown. */
  body: string;
  machineTranslated?: boolean;
  actor: Actor;
}

/**
 * Saves a new revision of one locale (every revision is kept). Editing the
 * source makes every translation edited from an older source revision
 * `outdated`; saving a translation records the source revision it now
 * follows, so it is current again. Saving the source unchanged is a no-op.
 *
 * @example
 * await saveAdvisoryTranslation(deps, { advisoryId: 1, locale: 'fr', title: '...', body: '...', machineTranslated: true, actor });
 */
export async function saveAdvisoryTranslation(deps: Deps, input: SaveTranslationInput): Promise<AdvisoryTranslation> {
  const locale = localeField('locale', input.locale);
  const title = requiredText('title', input.title, MAX_ADVISORY_TITLE);
  const body = markdownBody('body', input.body, MAX_ADVISORY_BODY);
  const machineTranslated = input.machineTranslated === true;
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const advisory = await lockAdvisory(tx, input.advisoryId, now);
    const isSource = locale === advisory.source_locale;
    if (isSource && machineTranslated)
      throw invalid(`The source locale (${locale}) is authoritative and cannot be machine-translated; drop machine_translated.`, {
        machine_translated: ['not allowed on the source locale'],
      });
    const source = await findTranslation(tx, advisory.id, advisory.source_locale);
    const current = isSource ? source : await findTranslation(tx, advisory.id, locale);
    if (source === undefined) throw new AppError('InternalError', 'The advisory has lost its source text.');
    if (isSource && current !== undefined && current.title === title && current.body === body) return translationOf(current, source);
    const revision = Number(current?.revision ?? 0) + 1;
    const row = {
      advisory_id: advisory.id,
      locale,
      revision,
      source_revision: isSource ? revision : Number(source.revision),
      machine_translated: machineTranslated ? (1 as const) : (0 as const),
      title,
      body,
    };
    await insertRevision(tx, { ...row, created_at: now, actor: actorLabel(input.actor) });
    const head = { ...row, created_at: current?.created_at ?? now, edited_at: now };
    await saveTranslationHead(tx, head);
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'advisory.translation_saved',
      target: { type: 'advisory', id: advisory.id },
      data: { locale, revision, source_revision: row.source_revision, machine_translated: machineTranslated },
    });
    return translationOf(head, isSource ? head : source);
  });
}

/** Every revision of an advisory, or of one locale, oldest first. */
export async function listAdvisoryRevisions(deps: Pick<Deps, 'db'>, advisoryId: number, locale?: string): Promise<AdvisoryRevision[]> {
  if ((await findAdvisory(deps.db, advisoryId)) === undefined) throw advisoryNotFound(advisoryId);
  const rows = await listRevisions(deps.db, advisoryId, locale === undefined ? undefined : localeField('locale', locale));
  return rows.map(revisionOf);
}

export interface UpdateTranslationInput {
  locale: string;
  body: string;
  machineTranslated?: boolean;
}

export interface AppendUpdateInput {
  advisoryId: number;
  /** Markdown, in the advisory's source locale. */
  body: string;
  /** The same update in other locales. */
  translations?: UpdateTranslationInput[];
  actor: Actor;
}

async function updateView(tx: Tx, advisory: AdvisoryRow, seq: number): Promise<AdvisoryUpdate> {
  const update = await findUpdate(tx, advisory.id, seq);
  if (update === undefined) throw notFound(`Update ${seq} of advisory ${advisory.id}`);
  const bodies = await listUpdateBodies(tx, advisory.id);
  const [view] = updatesOf(advisory, [update], bodies);
  if (view === undefined) throw notFound(`Update ${seq} of advisory ${advisory.id}`);
  return view;
}

/**
 * Appends a dated update (posted now) with its source text and any
 * translations. Updates are never rewritten: a correction is a new update.
 */
export async function appendAdvisoryUpdate(deps: Deps, input: AppendUpdateInput): Promise<AdvisoryUpdate> {
  const body = markdownBody('body', input.body, MAX_UPDATE_BODY);
  const translations = (input.translations ?? []).map((translation, index) => ({
    locale: localeField(`translations.${index}.locale`, translation.locale),
    body: markdownBody(`translations.${index}.body`, translation.body, MAX_UPDATE_BODY),
    machineTranslated: translation.machineTranslated === true,
  }));
  const locales = translations.map((translation) => translation.locale);
  if (new Set(locales).size !== locales.length) throw invalid('Give each locale of an update once.', { translations: ['repeat a locale'] });
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const advisory = await lockAdvisory(tx, input.advisoryId, now);
    if (locales.includes(advisory.source_locale as (typeof locales)[number]))
      throw invalid(`body is the source (${advisory.source_locale}) text; translations are for the other locales.`, {
        translations: ['include the source locale'],
      });
    const seq = await appendUpdate(tx, { advisory_id: advisory.id, posted_at: now, actor: actorLabel(input.actor) });
    const texts = [{ locale: advisory.source_locale, body, machineTranslated: false }, ...translations];
    for (const text of texts) {
      await insertUpdateBody(tx, {
        advisory_id: advisory.id,
        seq,
        locale: text.locale,
        machine_translated: text.machineTranslated ? 1 : 0,
        body: text.body,
        created_at: now,
      });
    }
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'advisory.update_appended',
      target: { type: 'advisory', id: advisory.id },
      data: { seq, locales: texts.map((text) => text.locale) },
    });
    return updateView(tx, advisory, seq);
  });
}

export interface TranslateUpdateInput extends UpdateTranslationInput {
  advisoryId: number;
  seq: number;
  actor: Actor;
}

/** Adds a locale's text to an existing update; a text once written is never replaced. */
export async function translateAdvisoryUpdate(deps: Deps, input: TranslateUpdateInput): Promise<AdvisoryUpdate> {
  const locale = localeField('locale', input.locale);
  const body = markdownBody('body', input.body, MAX_UPDATE_BODY);
  const now = deps.clock.now().toISOString();
  return deps.db.transaction().execute(async (tx) => {
    const advisory = await lockAdvisory(tx, input.advisoryId, now);
    if ((await findUpdate(tx, advisory.id, input.seq)) === undefined) throw notFound(`Update ${input.seq} of advisory ${advisory.id}`);
    if ((await findUpdateBody(tx, advisory.id, input.seq, locale)) !== undefined)
      throw new AppError(
        'UpdateAlreadyWritten',
        `Update ${input.seq} already has its ${locale} text, and updates are never rewritten; append a new update with the correction.`,
      );
    await insertUpdateBody(tx, {
      advisory_id: advisory.id,
      seq: input.seq,
      locale,
      machine_translated: input.machineTranslated === true ? 1 : 0,
      body,
      created_at: now,
    });
    await recordAudit(tx, deps, {
      accountId: PLATFORM_ACCOUNT_ID,
      actor: input.actor,
      action: 'advisory.update_translated',
      target: { type: 'advisory', id: advisory.id },
      data: { seq: input.seq, locale, machine_translated: input.machineTranslated === true },
    });
    return updateView(tx, advisory, input.seq);
  });
}
