/**
 * Authenticated encryption for everything we store encrypted (SPEC §6).
 *
 * Format (compact, dot-separated, each part base64url): `v1.<keyId>.<iv>.<tag>.<ciphertext>`.
 * - AES-256-GCM with a random 12-byte IV (NIST SP 800-38D's recommended IV length) and a 16-byte tag.
 * - `keyId` names the key that encrypted it, so older keys keep decrypting after a rotation.
 * - The additional authenticated data is `v1.<keyId>` plus the caller's context (e.g. the
 *   secret's name), so a ciphertext moved to another row, or relabelled, fails to decrypt.
 * Any changed character fails loudly with a CryptoError: parts must re-encode to exactly the text
 * given (base64url decoding alone would ignore stray characters and unused trailing bits).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** Decryption refused: unknown key, malformed text, or a ciphertext that fails authentication. */
export class CryptoError extends AppError {
  constructor(message: string) {
    super(message, 500, 'DECRYPTION_FAILED');
    this.name = 'CryptoError';
  }
}

/** A key's stable id: the first 8 hex characters of sha256(key bytes). Reveals nothing useful. */
export function deriveKeyId(keyHex: string): string {
  return createHash('sha256').update(Buffer.from(keyHex, 'hex')).digest('hex').slice(0, 8);
}

function strictBase64url(part: string, what: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new CryptoError(`Malformed ciphertext (${what})`);
  return bytes;
}

export interface ParsedCiphertext {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

export function parseCiphertext(text: string): ParsedCiphertext {
  const parts = text.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new CryptoError('Not a v1 ciphertext');
  const [, keyId, iv, tag, data] = parts;
  if (!KEY_ID_RE.test(keyId)) throw new CryptoError('Malformed ciphertext (key id)');
  const parsed = {
    keyId,
    iv: strictBase64url(iv, 'iv'),
    tag: strictBase64url(tag, 'tag'),
    data: strictBase64url(data, 'data'),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) {
    throw new CryptoError('Malformed ciphertext (iv or tag length)');
  }
  return parsed;
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}\u0000${context}`, 'utf8');
}

export class CryptoService {
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  /**
   * @param currentKeyHex the key new ciphertexts use (64 hex characters).
   * @param olderKeys `id:hex` entries (ENCRYPTION_KEYS). Each is usable under its given id and under
   *   its derived id, so an operator can list a retired key under any label.
   */
  constructor(currentKeyHex: string, olderKeys: readonly string[] = []) {
    this.currentKeyId = deriveKeyId(currentKeyHex);
    for (const entry of olderKeys) {
      const [id, hex] = entry.split(':');
      const key = Buffer.from(hex, 'hex');
      this.keys.set(deriveKeyId(hex), key);
      if (KEY_ID_RE.test(id)) this.keys.set(id, key);
    }
    this.keys.set(this.currentKeyId, Buffer.from(currentKeyHex, 'hex'));
  }

  encrypt(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(aad(this.currentKeyId, context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.currentKeyId, iv, tag, data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(ciphertext: string, context = ''): string {
    const { keyId, iv, tag, data } = parseCiphertext(ciphertext);
    const key = this.keys.get(keyId);
    if (!key) throw new CryptoError(`Unknown encryption key id ${keyId} (add it to ENCRYPTION_KEYS)`);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      throw new CryptoError('Ciphertext failed authentication (tampered, or the wrong key or context)');
    }
  }

  /** The key id inside a ciphertext (throws CryptoError when it is not one). */
  keyIdOf(ciphertext: string): string {
    return parseCiphertext(ciphertext).keyId;
  }

  /** Whether the ciphertext names a key this process holds. */
  canDecrypt(ciphertext: string): boolean {
    try {
      return this.keys.has(this.keyIdOf(ciphertext));
    } catch {
      return false;
    }
  }

  /** Decrypts with whatever key it names and encrypts again under the current key. */
  reencrypt(ciphertext: string, context = ''): string {
    return this.encrypt(this.decrypt(ciphertext, context), context);
  }
}
