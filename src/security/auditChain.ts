/**
 * The audit hash chain, as pure functions: what a row's hash covers and how a run of rows is
 * checked. Glossary:
 * - link: a row's `seq`, `prev_hash` and `hash`.
 * - genesis: the `prev_hash` of the first chained row (64 zeros).
 * - content: every column a reader relies on (who, what, where, when, details) plus `seq`;
 *   `id` is included so a row cannot be swapped for another with the same content.
 *
 * hash = sha256_hex(prev_hash || canonicalJson(content)). Canonical JSON sorts object keys at
 * every depth, because JSONB does not keep key order and the hash must not depend on it.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainContent {
  id: string;
  seq: string;
  userId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: unknown;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
}

/** A stored row as the chain sees it (values exactly as the database returns them). */
export interface ChainRow extends ChainContent {
  prevHash: string | null;
  hash: string | null;
}

export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function chainHash(prevHash: string, content: ChainContent): string {
  const { id, seq, userId, action, resourceType, resourceId, details, ipAddress, userAgent, createdAt } =
    content;
  const body = canonicalJson({
    id,
    seq,
    userId,
    action,
    resourceType,
    resourceId,
    details,
    ipAddress,
    userAgent,
    createdAt,
  });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

export interface ChainVerification {
  ok: boolean;
  /** Rows examined, including the broken one. */
  checked: number;
  firstBrokenId?: string;
  firstBrokenSeq?: string;
  reason?: 'hash_mismatch' | 'prev_hash_mismatch' | 'missing_hash';
}

/**
 * Walks rows in `seq` order, carrying the previous hash between batches. Returns the first broken
 * link or undefined. An edited row fails its own hash; a deleted or reordered row makes the next
 * row's `prev_hash` disagree, so that row is named.
 */
export class ChainWalker {
  private prev = GENESIS_HASH;
  checked = 0;

  check(row: ChainRow): ChainVerification | undefined {
    this.checked += 1;
    const broken = (reason: ChainVerification['reason']): ChainVerification => ({
      ok: false,
      checked: this.checked,
      firstBrokenId: row.id,
      firstBrokenSeq: row.seq,
      reason,
    });
    if (!row.hash) return broken('missing_hash');
    if (row.prevHash !== this.prev) return broken('prev_hash_mismatch');
    if (chainHash(this.prev, row) !== row.hash) return broken('hash_mismatch');
    this.prev = row.hash;
    return undefined;
  }
}
