/**
 * The audit chainer (SPEC §10): gives unchained audit rows their place in the hash chain, in
 * batches. Requests only INSERT (no lock, no ordering between them); every node runs a chainer,
 * and the transaction-level advisory lock elects one per batch, so a node that stops (or dies:
 * its connection drops and the lock with it) is replaced at the next poll by whichever node asks
 * first — no leader to hand over. Before this, each audit write took the lock itself and held it
 * through its commit: 456 of ~500 pg_stat_activity samples during a submit benchmark were waiting
 * on it (docs/BENCHMARKS.md).
 */
import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../logger.js';
import { AuditLogRepository, toChainRow } from '../repositories/auditLogs.js';
import { type AuditKeys, type ChainHead, chainHash, cutoverMac, GENESIS_HASH } from './auditChain.js';

/** "bsm" + 2 (the migration lock is + 1); also what the first design's writers took per row. */
export const AUDIT_CHAIN_LOCK_KEY = 0x62736d02;

/**
 * A row is chained only while younger than this (by its `created_at`); verify reports older
 * unchained rows as broken. Minutes, so clock skew between nodes and a short outage of every node
 * do not raise false alarms, while a row back-dated into the past stays visible.
 */
export const UNCHAINED_GRACE_MS = 5 * 60_000;

/** Rows chained per transaction: one UPDATE over arrays; bounded memory. */
const BATCH = 500;

export interface AuditChainerOptions {
  /** Fallback poll for rows other nodes inserted (their own chainer normally takes them first). */
  pollMs?: number;
  /** How often the head is logged (SPEC §10: every minute). */
  headLogMs?: number;
}

export class AuditChainer {
  private readonly repo: AuditLogRepository;
  private pollTimer: NodeJS.Timeout | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The newest head this node has seen (chained itself or read once a minute). */
  head: ChainHead | undefined;

  constructor(
    private readonly db: Db,
    private readonly keys: AuditKeys,
    private readonly logger: Logger,
    private readonly options: AuditChainerOptions = {},
  ) {
    this.repo = new AuditLogRepository(db);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.flush();
    await this.logHead();
    this.pollTimer = setInterval(() => this.poll(), this.options.pollMs ?? 200);
    this.headTimer = setInterval(() => void this.logHead(), this.options.headLogMs ?? 60_000);
    this.pollTimer.unref();
    this.headTimer.unref();
  }

  /** A row was just inserted here: chain soon (coalesced with a run already going). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain(false).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Chains everything waiting now, waiting for the lock if another node holds it. */
  async flush(): Promise<void> {
    await this.drain(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.headTimer);
    await this.running;
    // Rows this process wrote last (a short-lived CLI command) do not wait for another node.
    await this.drain(false);
  }

  private poll(): void {
    if (this.running || this.stopped) return;
    this.repo
      .hasUnchainedSince(new Date(Date.now() - UNCHAINED_GRACE_MS))
      .then((waiting) => {
        if (waiting) this.wake();
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'audit chainer poll failed'));
  }

  private async drain(wait: boolean): Promise<void> {
    try {
      for (;;) {
        const chained = await this.chainBatch(wait);
        if (chained < BATCH) return;
      }
    } catch (err) {
      // Rows stay unchained and are picked up by the next run (here or on another node).
      this.logger.error({ err: (err as Error).message }, 'audit chaining failed');
      if (wait) throw err;
    }
  }

  /** One batch in one transaction; returns rows chained (0 when another node holds the lock). */
  private chainBatch(wait: boolean): Promise<number> {
    return this.db.transaction(async (tx) => {
      if (wait) await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK_KEY]);
      else {
        const { rows } = await tx.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1) AS locked',
          [AUDIT_CHAIN_LOCK_KEY],
        );
        if (!rows[0].locked) return 0;
      }
      const repo = new AuditLogRepository(tx);
      const last = await repo.lastLink();
      const state = await repo.chainState();
      const firstRun = !state && (await this.recordCutover(tx, last));
      // The first run also chains rows the first design left outside (before migration 015), of
      // any age; afterwards only rows younger than the grace.
      const rows = firstRun
        ? await repo.unchainedSince(new Date(0), Number.MAX_SAFE_INTEGER)
        : await repo.unchainedSince(new Date(Date.now() - UNCHAINED_GRACE_MS), BATCH);
      if (!rows.length) {
        if (last?.hash) this.head = { seq: last.seq, hash: last.hash };
        return 0;
      }
      let seq = last?.seq ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      const links = rows.map((row) => {
        seq += 1;
        const hash = chainHash(prevHash, toChainRow({ ...row, seq }), this.keys.current);
        const link = { id: row.id, seq, prevHash, hash };
        prevHash = hash;
        return link;
      });
      await repo.link(links);
      this.head = { seq, hash: prevHash };
      return rows.length;
    });
  }

  /**
   * First run on this database (migration 023 just applied): rows up to the current head were
   * hashed with plain SHA-256 by the first design; pin that seq with a MAC so it cannot be moved.
   * If the head already carries an HMAC, the state row was deleted: recording a cutover now would
   * whitewash rows recomputed with SHA-256, so none is recorded and verify stays strict.
   */
  private async recordCutover(
    tx: Queryable,
    last: { seq: number; hash: string | null } | undefined,
  ): Promise<boolean> {
    const repo = new AuditLogRepository(tx);
    const seq = last?.seq ?? 0;
    if (last) {
      const head = await repo.chainAfter(seq - 1, 1);
      const row = head[0];
      if (row?.prev_hash && chainHash(row.prev_hash, toChainRow(row), this.keys.current) === row.hash) {
        this.logger.error(
          'audit_chain_state is missing while the chain already carries HMACs: not re-created',
        );
        return false;
      }
    }
    await repo.insertChainState(seq, cutoverMac(seq, this.keys.current));
    this.logger.warn({ sha256UntilSeq: seq }, 'audit chain: rows from here on are hashed with HMAC-SHA256');
    return true;
  }

  /** Reads and logs the head (every minute), so operators can keep it outside the database. */
  private async logHead(): Promise<void> {
    try {
      const last = await this.repo.lastLink();
      if (last?.hash) this.head = { seq: last.seq, hash: last.hash };
      this.logger.info({ auditHead: this.head ?? null }, 'audit head');
    } catch (err) {
      this.logger.warn({ err }, 'audit head read failed');
    }
  }
}
