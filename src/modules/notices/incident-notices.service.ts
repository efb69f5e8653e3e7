import { AppError, notFound } from '../../errors.js';
import type { Actor } from '../../platform/audit/audit.service.js';
import { recordNoticeWork } from '../staff-access/staff-work.js';
import type { ServiceDeps } from '../../platform/service-deps.js';
import { publishedAdvisoryPathForIncident } from '../advisories/advisory-links.js';
import { countPasswordApiUsers } from '../auth/passwords/passwords.repo.js';
import { recentPasswordApiUseSince } from '../auth/passwords/password-api-use.js';
import { findIncident, listPublicTasksDone, touchIncident, type IncidentRow } from '../incidents/incidents.repo.js';
import { recordIncidentChange } from '../incidents/incident-history.js';
import { findScopeVersion } from '../incidents/scope.repo.js';
import { accountUrl } from '../accounts/account-urls.js';
import { customerNoticeData, noticeRecipients } from './incident-notice-data.js';
import { countNoticeAccounts, listAccountAdmins, listNoticeAccounts, listRotationTargets } from './incident-notices.repo.js';
import { enqueueCourierDrain } from '../courier/courier-drain.job.js';
import { requeueFailedIncidentMessages } from '../courier/outbox.repo.js';
import { enqueueMessages, type OutgoingMessage } from '../courier/outbox.service.js';

/** Accounts whose notices are built and queued per transaction. */
const ACCOUNT_PAGE = 200;
/** Rotation targets queued per transaction. */
const USER_PAGE = 2_000;

export interface NotifyProgress {
  wave: 'customers' | 'users';
  done: number;
  /** Null while the users wave does not know its total yet. */
  total: number | null;
}

export interface NotifyInput {
  incidentId: number;
  /** Also send the second wave: `user_rotation_notice` to each user the incident's campaigns target. */
  users?: boolean;
  /** First queue the incident's failed notices again (after the cause is fixed: a relay refusing, a mailbox full). */
  retryFailed?: boolean;
  actor: Actor;
  onProgress?: (progress: NotifyProgress) => void;
}

export interface WaveOutcome {
  /** Messages queued by this run. */
  queued: number;
  /** Messages an earlier run had already queued (same idempotency key): not queued again. */
  alreadyQueued: number;
}

export interface NotifyOutcome {
  incidentId: number;
  scopeVersion: number;
  accounts: number;
  customers: WaveOutcome;
  users: WaveOutcome | null;
  /** Failed notices queued again by `retryFailed`; null without it. */
  requeued: number | null;
}

type Deps = Pick<ServiceDeps, 'db' | 'clock' | 'keyring' | 'jobs' | 'handle' | 'config'>;

/** The absolute advisory link per locale, read once per locale for the whole run. */
function advisoryLinks(deps: Deps, incidentId: number): (locale: string) => Promise<string | null> {
  const cache = new Map<string, Promise<string | null>>();
  return (locale) => {
    let link = cache.get(locale);
    if (link === undefined) {
      link = publishedAdvisoryPathForIncident(deps.db, incidentId, locale).then((path) =>
        path === null ? null : `${deps.config.publicUrl}${path}`,
      );
      cache.set(locale, link);
    }
    return link;
  };
}

async function queueCustomerNotices(deps: Deps, incident: IncidentRow, version: number, onProgress: NotifyInput['onProgress']) {
  const incidentId = Number(incident.id);
  const total = await countNoticeAccounts(deps.db, incidentId, version);
  const advisoryFor = advisoryLinks(deps, incidentId);
  const measures = (await listPublicTasksDone(deps.db, incidentId)).map((task) => ({ title: task.title, doneAt: task.done_at }));
  const apiUseSince = recentPasswordApiUseSince(deps.clock.now());
  const outcome: WaveOutcome = { queued: 0, alreadyQueued: 0 };
  let done = 0;
  let after = 0;
  onProgress?.({ wave: 'customers', done, total });
  for (;;) {
    const accounts = await listNoticeAccounts(deps.db, incidentId, version, after, ACCOUNT_PAGE);
    if (accounts.length === 0) break;
    const accountIds = accounts.map((a) => Number(a.account_id));
    const [admins, passwordApiUsers] = await Promise.all([
      listAccountAdmins(deps.db, accountIds),
      countPasswordApiUsers(deps.db, accountIds, apiUseSince),
    ]);
    const messages = await Promise.all(
      accounts.map(async (account): Promise<OutgoingMessage[]> => {
        const adminEmails = admins.filter((admin) => Number(admin.account_id) === Number(account.account_id)).map((admin) => admin.email);
        const data = await customerNoticeData(deps, incident, version, account, {
          advisoryUrl: await advisoryFor(account.locale),
          measures,
          passwordApiUsers: passwordApiUsers.get(Number(account.account_id)) ?? 0,
        });
        return noticeRecipients(account, adminEmails).map((recipient) => ({
          accountId: Number(account.account_id),
          purpose: 'customer_incident_notice',
          recipient,
          locale: account.locale,
          idempotencyKey: `incident:${incidentId}:notice:${recipient.toLowerCase()}`,
          data: { ...data },
          incidentId,
        }));
      }),
    );
    const page = messages.flat();
    const queued = await deps.db.transaction().execute((tx) => enqueueMessages(deps, tx, page, deps.handle.capabilities.maxParameters));
    outcome.queued += queued;
    outcome.alreadyQueued += page.length - queued;
    done += accounts.length;
    after = Number(accounts.at(-1)?.account_id);
    onProgress?.({ wave: 'customers', done, total });
  }
  return { outcome, accounts: total };
}

async function queueUserNotices(deps: Deps, incident: IncidentRow, onProgress: NotifyInput['onProgress']): Promise<WaveOutcome> {
  const incidentId = Number(incident.id);
  const advisoryFor = advisoryLinks(deps, incidentId);
  const apiUseSince = recentPasswordApiUseSince(deps.clock.now());
  const outcome: WaveOutcome = { queued: 0, alreadyQueued: 0 };
  let after = { accountId: 0, userId: 0 };
  let done = 0;
  onProgress?.({ wave: 'users', done, total: null });
  for (;;) {
    const targets = await listRotationTargets(deps.db, incidentId, after, USER_PAGE);
    if (targets.length === 0) break;
    const page = await Promise.all(
      targets.map(async (target): Promise<OutgoingMessage> => {
        const locale = target.user_locale ?? target.account_locale;
        return {
          accountId: Number(target.account_id),
          purpose: 'user_rotation_notice',
          recipient: target.email,
          locale,
          idempotencyKey: `incident:${incidentId}:rotation:${target.user_id}`,
          data: {
            userName: target.name,
            accountName: target.account_name,
            incidentTitle: incident.title,
            signInUrl: accountUrl(deps.config.publicUrl, target.subdomain, '/'),
            advisoryUrl: await advisoryFor(locale),
            // Told in person when they used it lately; everyone else gets the advice in general.
            passwordApiUsedAt: target.api_used_at !== null && target.api_used_at >= apiUseSince ? target.api_used_at : null,
          },
          incidentId,
        };
      }),
    );
    const queued = await deps.db.transaction().execute((tx) => enqueueMessages(deps, tx, page, deps.handle.capabilities.maxParameters));
    outcome.queued += queued;
    outcome.alreadyQueued += page.length - queued;
    done += targets.length;
    const last = targets.at(-1);
    if (last !== undefined) after = { accountId: Number(last.account_id), userId: Number(last.user_id) };
    onProgress?.({ wave: 'users', done, total: null });
  }
  return outcome;
}

/** Queues the incident's failed notices again, with a drain to send them when any were. */
async function requeueFailedNotices(deps: Deps, incidentId: number): Promise<number> {
  return deps.db.transaction().execute(async (tx) => {
    const requeued = await requeueFailedIncidentMessages(tx, incidentId, deps.clock.now().toISOString());
    if (requeued > 0) await enqueueCourierDrain(deps.jobs, { transaction: tx, reason: 'requeued' });
    return requeued;
  });
}

/** The incident and its latest scope version; a 404 for an unknown incident, a 409 for one without a scope yet. */
export async function notifiableIncident(deps: Pick<Deps, 'db'>, incidentId: number): Promise<{ incident: IncidentRow; version: number }> {
  const incident = await findIncident(deps.db, incidentId);
  if (incident === undefined) throw notFound(`Incident ${incidentId}`);
  const scope = await findScopeVersion(deps.db, incidentId, undefined);
  if (scope === undefined)
    throw new AppError(
      'ScopeMissing',
      `Incident ${incidentId} has no scope yet, so nobody to notify: add an exposure first (riposte incident exposure add).`,
    );
  return { incident, version: Number(scope.version) };
}

/**
 * `incident notify`: queues one tailored notice per affected account of the
 * latest scope version, to its owner, active core admins and security
 * contact (each address once, case aside), in the account's language; with
 * `users`, a second wave to each user the incident's rotation campaigns
 * target. Idempotency keys per incident and recipient make a second run
 * queue only what the first did not (new accounts of a later scope version,
 * new admins). Work is done a page of accounts per transaction, each page's
 * messages in a few statements; the courier drain sends them. With
 * `retryFailed`, the incident's failed notices are first queued again with a
 * fresh retry budget (same Message-ID). Audited, and noted on the incident's
 * timeline.
 *
 * @example
 * await notifyIncident(deps, { incidentId: 1, users: true, actor: { type: 'cli' } });
 * // { accounts: 3, customers: { queued: 5, alreadyQueued: 0 }, users: { queued: 4, alreadyQueued: 0 }, ... }
 */
export async function notifyIncident(deps: Deps, input: NotifyInput): Promise<NotifyOutcome> {
  const { incident, version } = await notifiableIncident(deps, input.incidentId);
  const requeued = input.retryFailed === true ? await requeueFailedNotices(deps, input.incidentId) : null;
  const customers = await queueCustomerNotices(deps, incident, version, input.onProgress);
  const users = input.users === true ? await queueUserNotices(deps, incident, input.onProgress) : null;
  const outcome: NotifyOutcome = {
    incidentId: input.incidentId,
    scopeVersion: version,
    accounts: customers.accounts,
    customers: customers.outcome,
    users,
    requeued,
  };
  const now = deps.clock.now().toISOString();
  const summary = `Notices queued for ${outcome.accounts} affected accounts (scope version ${version}): ${outcome.customers.queued} new${users === null ? '' : `; user notices: ${users.queued} new`}${requeued === null ? '' : `; failed notices queued again: ${requeued}`}.`;
  const data = { scope_version: version, accounts: outcome.accounts, customers: outcome.customers, users: outcome.users, requeued };
  await deps.db.transaction().execute(async (tx) => {
    await touchIncident(tx, input.incidentId, { updated_at: now });
    await recordIncidentChange(tx, deps, {
      incidentId: input.incidentId,
      at: now,
      actor: input.actor,
      kind: 'customers_notified',
      summary,
      timeline: data,
      action: 'incident.notified',
    });
    await recordNoticeWork(tx, deps, input.actor, input.incidentId, version, {
      users_notified: users !== null,
      failed_requeued: requeued,
    });
  });
  return outcome;
}
