/**
 * The audit hash chain, as pure functions: what a row's hash covers and how a run of rows is
 * checked. Glossary:
 * - link: a row's `seq`, `prev_hash` and `hash`.
 * - genesis: the `prev_hash` of the first chained row (64 zeros).
 * - content: every column a reader relies on (who, what, where, when, details) plus `seq`;
 *   `id` is included so a row cannot be swapped for another with the same content.
 *
 * - audit key: the HMAC key (BSM_AUDIT_KEY, or derived from ENCRYPTION_KEY); never in the database.
 * - cutover: the last seq hashed with plain SHA-256 by the first design of the chain; every later
 *   row must carry an HMAC. The cutover itself is MAC'd (audit_chain_state), so it cannot be moved.
 * - head: the newest chained row's (seq, hash); an operator who keeps one can later prove that no
 *   row up to it was removed (`bsm audit verify --head seq:hash`).
 *
 * hash = hmac_sha256_hex(key, prev_hash || canonicalJson(content)) — or sha256_hex(…) at or below
 * the cutover. Canonical JSON sorts object keys at every depth, because JSONB does not keep key
 * order and the hash must not depend on it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

/** The current audit key signs new rows; older keys (from ENCRYPTION_KEYS) still verify. */
export interface AuditKeys {
  current: Buffer;
  older: Buffer[];
}

/** A head an operator recorded earlier: the chain must still contain this exact row. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** `<seq>:<64 lowercase hex>` as printed by verify and the head log; null when malformed. */
export function parseChainHead(text: string): ChainHead | null {
  const colon = text.indexOf(':');
  const seq = Number(text.slice(0, colon));
  const hash = text.slice(colon + 1);
  if (colon < 1 || !Number.isSafeInteger(seq) || seq < 1 || !/^[0-9a-f]{64}$/.test(hash)) return null;
  return { seq, hash };
}

/** `key` undefined: the first design's plain SHA-256 (only ever valid at or below the cutover). */
export function chainHash(prevHash: string, content: ChainContent, key?: Buffer): string {
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
  const digest = key ? createHmac('sha256', key) : createHash('sha256');
  return digest.update(prevHash).update(body).digest('hex');
}

/** The MAC that pins the cutover seq: without the key nobody can move it. */
export function cutoverMac(sha256UntilSeq: number, key: Buffer): string {
  return createHmac('sha256', key).update(`bsm-audit-cutover:${sha256UntilSeq}`).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Whether `mac` pins `seq` under any audit key (current or older). */
export function cutoverMacValid(seq: number, mac: string, keys: AuditKeys): boolean {
  return [keys.current, ...keys.older].some((key) => sameHex(cutoverMac(seq, key), mac));
}

export interface ChainVerification {
  ok: boolean;
  /** Rows examined, including the broken one. */
  checked: number;
  firstBrokenId?: string;
  firstBrokenSeq?: string;
  reason?:
    | 'hash_mismatch'
    | 'prev_hash_mismatch'
    | 'missing_hash'
    /** A row older than the unchained grace still has no chain position. */
    | 'unchained'
    /** The recorded SHA-256 cutover does not carry a valid MAC under the audit key. */
    | 'cutover_mismatch'
    /** `--head`: the chain ends before the recorded head's seq (newest rows removed). */
    | 'head_missing'
    /** `--head`: the row at the recorded seq has another hash (rewritten since). */
    | 'head_mismatch';
  /** The newest chained row: record it to check later with `--head`. */
  head?: ChainHead;
}

/**
 * Walks rows in `seq` order, carrying the previous hash between batches. Returns the first broken
 * link or undefined. An edited row fails its own hash; a deleted or reordered row makes the next
 * row's `prev_hash` disagree, so that row is named. Rows above the cutover must carry an HMAC:
 * recomputing one with plain SHA-256 (all that is possible without the key) fails.
 */
export class ChainWalker {
  private prev = GENESIS_HASH;
  checked = 0;
  /** The last row that verified. */
  last: ChainHead | undefined;

  constructor(
    private readonly keys: AuditKeys,
    private readonly sha256UntilSeq: number,
  ) {}

  private hashMatches(row: ChainRow, stored: string): boolean {
    if (Number(row.seq) <= this.sha256UntilSeq) return sameHex(chainHash(this.prev, row), stored);
    return [this.keys.current, ...this.keys.older].some((key) =>
      sameHex(chainHash(this.prev, row, key), stored),
    );
  }

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
    if (!this.hashMatches(row, row.hash)) return broken('hash_mismatch');
    this.prev = row.hash;
    this.last = { seq: Number(row.seq), hash: row.hash };
    return undefined;
  }
}
