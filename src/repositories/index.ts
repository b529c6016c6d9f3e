import type { Queryable } from '../db/index.js';
import { AgentRepository } from './agents.js';
import { ApiKeyRepository } from './apiKeys.js';
import { ApprovalRepository } from './approvals.js';
import { AuditLogRepository } from './auditLogs.js';
import { ExecutionRepository } from './executions.js';
import { MlModelRepository } from './mlModels.js';
import { RefreshTokenRepository } from './refreshTokens.js';
import { ScheduleRepository } from './schedules.js';
import { SecretRepository } from './secrets.js';
import { SecurityThreatRepository } from './securityThreats.js';
import { TaskRepository } from './tasks.js';
import { ThreadRepository } from './threads.js';
import { UsageRepository } from './usage.js';
import { UserRepository } from './users.js';
import { WorkflowRunRepository } from './workflowRuns.js';
import { WorkflowRepository } from './workflows.js';

export {
  AgentRepository,
  ApiKeyRepository,
  ApprovalRepository,
  AuditLogRepository,
  ExecutionRepository,
  MlModelRepository,
  RefreshTokenRepository,
  ScheduleRepository,
  SecretRepository,
  SecurityThreatRepository,
  TaskRepository,
  UsageRepository,
  UserRepository,
  WorkflowRepository,
  WorkflowRunRepository,
};

export interface Repositories {
  agents: AgentRepository;
  tasks: TaskRepository;
  users: UserRepository;
  auditLogs: AuditLogRepository;
  mlModels: MlModelRepository;
  executions: ExecutionRepository;
  secrets: SecretRepository;
  workflows: WorkflowRepository;
  threads: ThreadRepository;
  workflowRuns: WorkflowRunRepository;
  refreshTokens: RefreshTokenRepository;
  apiKeys: ApiKeyRepository;
  securityThreats: SecurityThreatRepository;
  usage: UsageRepository;
  schedules: ScheduleRepository;
  approvals: ApprovalRepository;
}

/** All repositories over one handle — the database, or a transaction so several writes commit together. */
export function createRepositories(db: Queryable): Repositories {
  return {
    agents: new AgentRepository(db),
    tasks: new TaskRepository(db),
    users: new UserRepository(db),
    auditLogs: new AuditLogRepository(db),
    mlModels: new MlModelRepository(db),
    executions: new ExecutionRepository(db),
    secrets: new SecretRepository(db),
    workflows: new WorkflowRepository(db),
    threads: new ThreadRepository(db),
    workflowRuns: new WorkflowRunRepository(db),
    refreshTokens: new RefreshTokenRepository(db),
    apiKeys: new ApiKeyRepository(db),
    securityThreats: new SecurityThreatRepository(db),
    usage: new UsageRepository(db),
    schedules: new ScheduleRepository(db),
    approvals: new ApprovalRepository(db),
  };
}
