import { sql } from 'kysely';
import type { Queryable } from '../../db/database.js';
import type { User } from '../../db/schema.js';

/** What a permanently deleted user's row keeps: nothing that identifies a person. */
export const erasedUserPlaceholders = (userId: number) => ({
  name: 'Deleted user',
  // `.invalid` is reserved (RFC 2606): never deliverable, never anyone's address.
  email: `deleted-user-${userId}@erased.invalid`,
  phone: null,
  locale: null,
  external_id: null,
});

export interface ErasedCounts {
  passwordCredentials: number;
  passwordHistory: number;
  sessions: number;
  oauthTokens: number;
  loginThrottles: number;
  messages: number;
  auditEvents: number;
  jobs: number;
}

const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Removes a user's personal data from every table that holds it, in the
 * caller's transaction: the users row keeps placeholders (so ids in audit
 * events, campaign targets and grants still resolve, to no one), credentials
 * and their history, sessions, OAuth tokens and codes go, throttle counters
 * keyed by the address go, and outbox messages to them keep their state with
 * neither recipient nor body.
 */
export async function eraseUserData(db: Queryable, user: Pick<User, 'account_id' | 'id' | 'email'>, now: string): Promise<ErasedCounts> {
  const accountId = user.account_id;
  const userId = user.id;
  const email = user.email.toLowerCase();
  // Each of these tables keys the person's rows by (account_id, user_id).
  const deleteTheirs = (
    table: 'password_credentials' | 'password_history' | 'sessions' | 'oauth_tokens' | 'oauth_codes' | 'password_change_steps',
  ) => db.deleteFrom(table).where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
  const passwordCredentials = await deleteTheirs('password_credentials');
  const passwordHistory = await deleteTheirs('password_history');
  const sessions = await deleteTheirs('sessions');
  const oauthTokens = await deleteTheirs('oauth_tokens');
  await deleteTheirs('oauth_codes');
  await deleteTheirs('password_change_steps');
  await db
    .updateTable('api_tokens')
    .set({ created_by: null })
    .where('account_id', '=', accountId)
    .where('created_by', '=', userId)
    .execute();
  const loginThrottles = await db
    .deleteFrom('login_throttles')
    .where('account_id', '=', accountId)
    // The email's own counter and its (email, address) pairs.
    .where('email', '=', email)
    .executeTakeFirst();
  const placeholder = erasedUserPlaceholders(userId).email;
  const toThem = db
    .updateTable('messages')
    .where('account_id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['recipient']), '=', email));
  // Mail not yet sent to them never will be.
  await toThem.set({ state: 'failed' }).where('state', 'in', ['queued', 'sending']).execute();
  const messages = await toThem
    .set((eb) => ({
      recipient: placeholder,
      // Keys may name the recipient; the id keeps them unique.
      idempotency_key: sql<string>`${'erased:'} || ${eb.ref('id')}`,
      template_data: '{}',
      last_response: null,
      // An SMTP error may quote the address.
      last_error: null,
    }))
    .executeTakeFirst();
  await db
    .updateTable('messages')
    .set({ last_error: 'The recipient was erased.' })
    .where('account_id', '=', accountId)
    .where('recipient', '=', placeholder)
    .where('state', '=', 'failed')
    .execute();
  await db
    .updateTable('accounts')
    .set({ security_contact_email: null, updated_at: now })
    .where('id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['security_contact_email']), '=', email))
    .execute();
  // Password reset requests carry the address in their job payload; finished ones are kept on SQLite.
  const jobs = await db
    .deleteFrom('local_jobs')
    .where(sql<boolean>`payload like ${`%${likeLiteral(JSON.stringify(email))}%`} escape '\\'`)
    .executeTakeFirst();
  await db
    .updateTable('users')
    .set({ ...erasedUserPlaceholders(userId), active: 0, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .execute();
  await db
    .updateTable('user_deletions')
    .set({ erased_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .execute();
  return {
    passwordCredentials: Number(passwordCredentials.numDeletedRows),
    passwordHistory: Number(passwordHistory.numDeletedRows),
    sessions: Number(sessions.numDeletedRows),
    oauthTokens: Number(oauthTokens.numDeletedRows),
    loginThrottles: Number(loginThrottles.numDeletedRows),
    messages: Number(messages.numUpdatedRows),
    auditEvents: 0,
    jobs: Number(jobs.numDeletedRows),
  };
}

/** Where the embedded mail transport wrote messages to this address (`written to <file>`). */
export async function mailFilesTo(db: Queryable, accountId: number, email: string): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('last_response')
    .where('account_id', '=', accountId)
    .where((eb) => eb(eb.fn('lower', ['recipient']), '=', email.toLowerCase()))
    .where('last_response', 'like', 'written to %')
    .execute();
  return rows.flatMap((row) => (row.last_response === null ? [] : [row.last_response.slice('written to '.length)]));
}

/**
 * pg-boss keeps jobs (with their payloads) in its own schema until it
 * archives and then deletes them; a password reset request names the address.
 */
export async function erasePgBossJobs(db: Queryable, email: string): Promise<number> {
  const payload = JSON.stringify({ email: email.toLowerCase() });
  let removed = 0;
  for (const table of ['job', 'archive']) {
    const exists = await sql<{ found: string | null }>`select to_regclass(${`pgboss.${table}`})::text as found`.execute(db);
    if (exists.rows[0]?.found === null || exists.rows[0]?.found === undefined) continue;
    const result = await sql`delete from ${sql.table(`pgboss.${table}`)} where data @> ${payload}::jsonb`.execute(db);
    removed += Number(result.numAffectedRows ?? 0);
  }
  return removed;
}
