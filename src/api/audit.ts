import type { FastifyRequest } from 'fastify';
import type { AuditEntry, AuditService } from '../security/audit.js';

/** Records an audit row for a request: who (the authenticated user), from where, with what client. */
export function auditRequest(
  audit: AuditService,
  request: FastifyRequest,
  entry: Omit<AuditEntry, 'userId' | 'ipAddress' | 'userAgent'>,
): Promise<void> {
  return audit.record({
    ...entry,
    userId: request.user?.id ?? null,
    ipAddress: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  });
}
