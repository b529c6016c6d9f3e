import type { FastifyRequest } from 'fastify';
import type { TaskAudit } from '../core/queue/taskQueue.js';
import type { AuditEntry, AuditService } from '../security/audit.js';

type RequestEntry = Omit<AuditEntry, 'userId' | 'ipAddress' | 'userAgent'>;

/** An audit entry for a request: who (the authenticated user), from where, with what client. */
export function requestEntry(request: FastifyRequest, entry: RequestEntry): AuditEntry {
  return {
    ...entry,
    userId: request.user?.id ?? null,
    ipAddress: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  };
}

/** Records an audit row for a request. */
export function auditRequest(
  audit: AuditService,
  request: FastifyRequest,
  entry: RequestEntry,
): Promise<void> {
  return audit.record(requestEntry(request, entry));
}

/**
 * A task submit's `task.create` row, written by the task's own insert (one commit for both; see
 * `TaskQueue.submit`).
 */
export function taskCreateAudit(audit: AuditService, request: FastifyRequest, agentId: string): TaskAudit {
  return {
    values: (params) =>
      audit.rowValues(
        requestEntry(request, {
          action: 'task.create',
          resourceType: 'task',
          resourceId: params.taskId,
          details: { agentId, priority: params.priority, type: params.type },
        }),
      ),
    written: () => audit.written(),
  };
}
