import crypto, { type KeyObject } from 'node:crypto';
import { randomDraws } from './random-draws.js';

/** AES-256-GCM with a 96-bit random nonce and the full 128-bit tag, as NIST SP 800-38D recommends. */
const ALGORITHM = 'aes-256-gcm';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface AesGcmBox {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

// Nonces come from the CSPRNG a block at a time: sealing a campaign batch draws tens of thousands. Not secret.
const freshNonce = randomDraws(IV_BYTES);

/**
 * Encrypts and authenticates `plaintext` together with `aad` (authenticated,
 * not encrypted). Every call draws a fresh random nonce.
 */
export function encryptAesGcm(key: KeyObject | Buffer, plaintext: Buffer, aad: Buffer): AesGcmBox {
  const iv = freshNonce();
  const cipher = crypto.createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Returns the plaintext, or `undefined` when the box, the key or the
 * additional data do not match (altered, truncated or moved).
 */
export function decryptAesGcm(key: KeyObject | Buffer, box: AesGcmBox, aad: Buffer): Buffer | undefined {
  // A short tag would be accepted by OpenSSL and weaken the check; refuse it first.
  if (box.iv.length !== IV_BYTES || box.tag.length !== TAG_BYTES) return undefined;
  try {
    const decipher = crypto.createDecipheriv(ALGORITHM, key, box.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(box.tag);
    return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url (no padding): `undefined` for anything Buffer.from would silently skip. */
export function fromBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}

/** `iv.ciphertext.tag`, each base64url: the text form of a box. */
export function encodeBox(box: AesGcmBox): string {
  return [box.iv, box.ciphertext, box.tag].map((part) => part.toString('base64url')).join('.');
}

export function decodeBox(text: string): AesGcmBox | undefined {
  const parts = text.split('.');
  if (parts.length !== 3) return undefined;
  const [iv, ciphertext, tag] = parts.map(fromBase64Url);
  if (iv === undefined || ciphertext === undefined || tag === undefined) return undefined;
  return { iv, ciphertext, tag };
}
