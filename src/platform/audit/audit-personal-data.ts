import crypto from 'node:crypto';

/**
 * Personal values an audit event records about one user (email, name,
 * phone, IP address, user agent). They are stored beside the event, outside
 * the hashed `data`, so erasure can remove them without breaking the chain.
 *
 * The chain still covers them while they exist: the event's hash includes
 * `HMAC-SHA256(salt, personal_data)`, where the salt is random per event and
 * erased with the data. Once erased, the digest that remains cannot be
 * linked to a guessed address (there is no salt left to try it with).
 * This was chosen over per-user encryption keys: reading the trail needs no
 * keyring, and nothing personal is left behind, not even as ciphertext.
 */
export interface PersonalData {
  userId: number;
  values: Record<string, string | null>;
}

export interface SealedPersonalData {
  subject_user_id: number;
  personal_data: string;
  personal_salt: string;
  personal_digest: string;
}

export function personalDigest(salt: string, personalData: string): string {
  return crypto.createHmac('sha256', Buffer.from(salt, 'hex')).update(personalData).digest('hex');
}

export function sealPersonalData(personal: PersonalData): SealedPersonalData {
  const personalData = JSON.stringify(personal.values);
  const salt = crypto.randomBytes(16).toString('hex');
  return {
    subject_user_id: personal.userId,
    personal_data: personalData,
    personal_salt: salt,
    personal_digest: personalDigest(salt, personalData),
  };
}

/** Whether stored personal data (when still there) is what the digest was made from. */
export function personalDataIntact(row: { personal_data?: string | null; personal_salt?: string | null; personal_digest?: string | null }) {
  const data = row.personal_data ?? null;
  if (data === null) return true;
  const salt = row.personal_salt ?? null;
  const digest = row.personal_digest ?? null;
  if (salt === null || digest === null) return false;
  const actual = Buffer.from(personalDigest(salt, data), 'hex');
  const expected = Buffer.from(digest, 'hex');
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

/** The personal values of a stored event, or `{}` once erased (for trails and exports). */
export function readPersonalData(row: { personal_data?: string | null }): Record<string, string | null> {
  return row.personal_data === null || row.personal_data === undefined
    ? {}
    : (JSON.parse(row.personal_data) as Record<string, string | null>);
}
