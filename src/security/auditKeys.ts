import { hkdfSync } from 'node:crypto';
import type { AuditKeys } from './auditChain.js';

/** HKDF `info`: the audit key is its own key, never the encryption key itself. */
const AUDIT_KEY_INFO = 'bsm-audit-chain-v1';

function derive(encryptionKeyHex: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(encryptionKeyHex, 'hex'), '', AUDIT_KEY_INFO, 32));
}

/**
 * The HMAC keys of the audit chain (SPEC §10): `BSM_AUDIT_KEY` when set, else derived with HKDF
 * from the encryption key. Keys derived from the older `ENCRYPTION_KEYS` still verify, so rotating
 * ENCRYPTION_KEY does not break the chain written before the rotation.
 */
export function resolveAuditKeys(
  auditKey: string | undefined,
  encryptionKeyHex: string,
  olderEncryptionKeys: string[],
): AuditKeys {
  const older = olderEncryptionKeys.map((entry) => derive(entry.slice(entry.indexOf(':') + 1)));
  if (auditKey)
    return { current: Buffer.from(auditKey, 'utf8'), older: [derive(encryptionKeyHex), ...older] };
  return { current: derive(encryptionKeyHex), older };
}
