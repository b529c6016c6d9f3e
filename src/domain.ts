/**
 * Glossary and shared types. Domain objects are camelCase, as the seed's `toJSON()`.
 *
 * - agent: a registered AI worker — a role prompt, a model (provider + name), capabilities, and
 *   an allow-list of actions it may take. `id` is a UUID; `agentId` is the human handle.
 * - task: one request to an agent, queued in PostgreSQL. `taskId` is the client-visible id
 *   (clients may choose it; resubmitting it never runs the task twice).
 * - execution: one attempt at a task (a retried task has several).
 * - lease: a worker's claim on a running task, with an expiry the worker keeps renewing.
 * - waiting: a task parked (no slot, no lease) until its children end or a person decides; its
 *   checkpoint (the conversation so far) lets any node resume it without re-asking the model.
 * - approval: a person's decision a tool call or a workflow step waits for.
 * - model: an entry of the `ml_models` registry.
 * - audit log: an append-only, hash-chained record of who did what.
 */

export type AgentStatus = 'active' | 'inactive' | 'archived';
export const AGENT_STATUSES: readonly AgentStatus[] = ['active', 'inactive', 'archived'];

export interface Agent {
  id: string;
  agentId: string;
  name: string;
  role: string;
  description: string | null;
  modelProvider: string;
  modelKey: string;
  modelName: string | null;
  status: AgentStatus;
  capabilities: string[];
  actions: string[];
  config: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  version: number;
}

/** `waiting`: parked until its delegated children end or a person decides (SPEC §11). */
export type TaskStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export const TASK_STATUSES: readonly TaskStatus[] = [
  'pending',
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
];
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export interface Task {
  id: string;
  taskId: string;
  /** The agent's human handle (`legal-reviewer`); kept after the agent is deleted. */
  agentId: string | null;
  /** agents.id (UUID); null once the agent is deleted. */
  agentUuid: string | null;
  type: string;
  status: TaskStatus;
  priority: number;
  input: Record<string, unknown>;
  /** `{text, toolCalls?, usage}` once completed; null before. */
  output: Record<string, unknown> | null;
  error: string | null;
  metadata: Record<string, unknown>;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  retryCount: number;
  maxRetries: number;
  timeoutSeconds: number;
  /** users.id of the submitter (null for the CLI or when the user was deleted). */
  createdBy: string | null;
  /** tasks.id of the task that asked for this one (delegation, workflow step). */
  parentTaskId: string | null;
  /** Earliest time the task may run (later than createdAt while a retry backs off). */
  runAt: Date;
  /** Node holding the lease while the task runs. */
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  cancelRequested: boolean;
  /** The thread this task is a turn of (`type: "thread"`), else null. */
  threadId?: string | null;
}

export type UserRole = 'admin' | 'user' | 'viewer';
export const USER_ROLES: readonly UserRole[] = ['admin', 'user', 'viewer'];

export interface User {
  id: string;
  username: string;
  email: string;
  role: UserRole;
  isActive: boolean;
  /** Daily spending limit in USD (per UTC day); null: none. */
  budgetUsdPerDay: number | null;
  lastLogin: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AuditLog {
  id: string;
  /** Position in the hash chain; null for rows written before the chain existed. */
  seq: number | null;
  userId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
  prevHash: string | null;
  hash: string | null;
}

export type ModelStatus = 'training' | 'deployed' | 'archived';
export const MODEL_STATUSES: readonly ModelStatus[] = ['training', 'deployed', 'archived'];

export interface MlModel {
  id: string;
  modelId: string;
  name: string;
  type: string;
  version: string;
  status: ModelStatus;
  framework: string | null;
  metrics: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Model parameters; `inputPricePerMTok` / `outputPricePerMTok` price the agents using it (USD). */
  parameters: Record<string, unknown>;
  filePath: string | null;
  createdAt: Date;
  deployedAt: Date | null;
  createdBy: string | null;
}

export type ExecutionStatus = 'success' | 'failure' | 'timeout';

export interface Execution {
  id: string;
  executionId: string;
  /** The agent's human handle, as on the task. */
  agentId: string | null;
  /** agents.id (UUID). */
  agentUuid: string | null;
  /** The task's human id (`taskId`), as clients know it. */
  taskId: string | null;
  /** tasks.id (UUID). */
  taskUuid: string | null;
  input: Record<string, unknown>;
  /** `{text}`: the attempt's answer; null when it failed. */
  output: Record<string, unknown> | null;
  tokensUsed: number | null;
  executionTimeMs: number | null;
  status: ExecutionStatus;
  errorMessage: string | null;
  /** Tokens the model read and wrote in this attempt (null when unknown, e.g. a failed attempt). */
  inputTokens: number | null;
  outputTokens: number | null;
  /** USD at the model's prices at the time (SPEC §14); 0 when the model has no price. */
  costUsd: number | null;
  createdAt: Date;
}

/** Every list answer of the API (SPEC §7). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface PageRequest {
  limit?: number;
  offset?: number;
}
