import type { Logger } from '../logger.js';
import type { AuditLogRepository } from '../repositories/auditLogs.js';

export interface AuditEntry {
  /** Dotted verb, e.g. `agent.create`, `auth.login_failed`. */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  userId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** Keys whose values never enter the audit log, at any depth. */
const SECRET_KEY_RE = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key/i;

export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY_RE.test(k) ? '[redacted]' : scrubSecrets(v, depth + 1);
  return out;
}

/**
 * Writes audit rows. An audit failure never breaks the request that caused it (the seed's rule):
 * it is logged and counted instead.
 */
export class AuditService {
  private failures = 0;

  constructor(
    private readonly repo: AuditLogRepository,
    private readonly logger: Logger,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.repo.create({
        ...entry,
        details: scrubSecrets(entry.details ?? {}) as Record<string, unknown>,
      });
    } catch (err) {
      this.failures += 1;
      this.logger.error({ err: (err as Error).message, action: entry.action }, 'audit write failed');
    }
  }

  metrics(): { writeFailures: number } {
    return { writeFailures: this.failures };
  }
}
