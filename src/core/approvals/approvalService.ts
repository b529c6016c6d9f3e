/**
 * Approvals (SPEC §11): requests for a person's decision, their decisions and their expiry.
 * Every decision commits in one transaction with what it releases — the waiting task becomes
 * `pending` (`bsm_resume_waiting_task`), or the workflow step is settled — so a crash after the
 * commit loses nothing and a crash before it decided nothing. Expiry runs on every node against
 * the database clock: whichever node is alive expires a request within seconds of its deadline.
 */
import type { Db, Queryable } from '../../db/index.js';
import type { Page, Task } from '../../domain.js';
import { AppError, validation } from '../../errors.js';
import type { Logger } from '../../logger.js';
import {
  type Approval,
  type ApprovalFilters,
  type ApprovalRecord,
  ApprovalRepository,
} from '../../repositories/approvals.js';
import type { AuditService } from '../../security/audit.js';
import type { EventBus } from '../eventBus.js';
import type { OnTimeout } from './policy.js';

/** The outcome a workflow approval step records as its output (`{{steps.review.output.comment}}`). */
export interface StepDecision {
  approved: boolean;
  comment: string | null;
  decidedBy: string | null;
}

/** The workflow engine's side of approval steps. */
export interface ApprovalSteps {
  /** Settles the step inside the decision's transaction. */
  settleStep(tx: Queryable, approval: ApprovalRecord, decision: StepDecision): Promise<void>;
  /** After the commit: moves the run on. */
  advance(runId: string): Promise<void>;
}

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  comment?: string;
  /** Approve only: replaces the tool call's arguments (checked against the schema and allow-list). */
  args?: unknown;
}

/** Who decides, and what they may see: `ownerScope` set → only approvals of that user's work. */
export interface Actor {
  userId: string | null;
  ownerScope?: string;
  ipAddress?: string | null;
  userAgent?: string | null;
}

export interface ApprovalServiceDeps {
  db: Db;
  events: EventBus;
  audit: AuditService;
  logger: Logger;
  /** `null` when the arguments fit the action's schema, else the problem (the plugin system). */
  validateArgs(action: string, args: unknown): string | null;
  steps?: () => ApprovalSteps | undefined;
}

const SWEEP_BATCH = 100;
export const DEFAULT_SWEEP_MS = 1_000;

/** What clients see of an approval. */
export function publicApproval(a: ApprovalRecord): Approval {
  const { taskUuid: _task, originalArgs: _original, ...rest } = a;
  return rest;
}

export class ApprovalService {
  private readonly repo: ApprovalRepository;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly deps: ApprovalServiceDeps) {
    this.repo = new ApprovalRepository(deps.db);
  }

  /** Opens the request for one tool call (or finds the one made before under the same key). */
  async requestToolCall(request: {
    task: Task;
    action: string;
    args: unknown;
    key: string;
    timeoutSeconds: number;
    onTimeout: OnTimeout;
  }): Promise<string> {
    const { task } = request;
    const { approval, created } = await this.repo.request({
      kind: 'tool_call',
      taskUuid: task.id,
      callKey: request.key,
      action: request.action,
      args: request.args,
      requestedBy: task.createdBy,
      timeoutSeconds: request.timeoutSeconds,
      onTimeout: request.onTimeout,
    });
    if (created) this.announceRequested(approval);
    return approval.approvalId;
  }

  announceRequested(approval: ApprovalRecord): void {
    this.deps.events.emit(
      'approval:requested',
      {
        approvalId: approval.approvalId,
        kind: approval.kind,
        taskId: approval.taskId,
        runId: approval.runId,
        stepId: approval.stepId,
        action: approval.action,
        expiresAt: approval.expiresAt.toISOString(),
      },
      { ownerId: approval.requestedBy, ...(approval.taskId ? { taskId: approval.taskId } : {}) },
    );
  }

  async list(filters: ApprovalFilters, actor: Actor): Promise<Page<Approval>> {
    const page = await this.repo.list({ ...filters, requestedBy: actor.ownerScope });
    return { ...page, items: page.items.map(publicApproval) };
  }

  async get(approvalId: string, actor: Actor): Promise<Approval> {
    return publicApproval(visible(await this.repo.find(approvalId), actor));
  }

  async decide(approvalId: string, request: DecisionRequest, actor: Actor): Promise<Approval> {
    const approve = request.decision === 'approve';
    const comment = request.comment ?? null;
    let before: ApprovalRecord | undefined;
    await this.deps.db.transaction(async (tx) => {
      const repo = new ApprovalRepository(tx);
      const approval = visible(await repo.lock(approvalId), actor);
      if (approval.status !== 'pending') {
        throw new AppError(`Approval is already ${approval.status}`, 409, 'APPROVAL_DECIDED', {
          status: approval.status,
        });
      }
      if (request.args !== undefined) await this.checkArgs(tx, approval, request.args, approve);
      await repo.decide(approvalId, approve ? 'approved' : 'rejected', actor.userId, comment, request.args);
      await this.release(tx, approval, { approved: approve, comment, decidedBy: actor.userId });
      before = approval;
    });
    const approval = before!;
    const after = await this.repo.find(approvalId);
    await this.deps.audit.record({
      action: approve ? 'approval.approve' : 'approval.reject',
      resourceType: 'approval',
      resourceId: approvalId,
      userId: actor.userId,
      ipAddress: actor.ipAddress ?? null,
      userAgent: actor.userAgent ?? null,
      details: {
        kind: approval.kind,
        taskId: approval.taskId,
        runId: approval.runId,
        stepId: approval.stepId,
        action: approval.action,
        comment,
        ...(approval.kind === 'tool_call' ? { originalArgs: approval.originalArgs, args: after.args } : {}),
        edited: request.args !== undefined,
      },
    });
    await this.resolved(after);
    return publicApproval(after);
  }

  /** Expires every pending approval past its deadline (database clock); answers how many. */
  async expireDue(): Promise<number> {
    const expired: ApprovalRecord[] = [];
    await this.deps.db.transaction(async (tx) => {
      const repo = new ApprovalRepository(tx);
      for (const id of await repo.lockExpired(SWEEP_BATCH)) {
        const approval = await repo.find(id);
        await repo.decide(id, 'expired', null, null);
        await this.release(tx, approval, {
          approved: approval.onTimeout === 'approve',
          comment: null,
          decidedBy: null,
        });
        expired.push(approval);
      }
    });
    for (const approval of expired) {
      const after = await this.repo.find(approval.approvalId);
      await this.deps.audit.record({
        action: 'approval.expire',
        resourceType: 'approval',
        resourceId: approval.approvalId,
        userId: null,
        details: {
          kind: approval.kind,
          taskId: approval.taskId,
          runId: approval.runId,
          stepId: approval.stepId,
          action: approval.action,
          onTimeout: approval.onTimeout,
        },
      });
      await this.resolved(after);
    }
    return expired.length;
  }

  /** Sweeps for expired requests every `intervalMs` (every node runs one; row locks keep them apart). */
  start(intervalMs = DEFAULT_SWEEP_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweeping ??= this.expireDue()
        .then(() => undefined)
        .catch((err: unknown) =>
          this.deps.logger.warn({ err: (err as Error).message }, 'approval expiry failed'),
        )
        .finally(() => {
          this.sweeping = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  countPending(): Promise<number> {
    return this.repo.countPending();
  }

  /** In the decision's transaction: wake the waiting task, or settle the workflow step. */
  private async release(tx: Queryable, approval: ApprovalRecord, decision: StepDecision): Promise<void> {
    if (approval.kind === 'tool_call' && approval.taskUuid) {
      await tx.query('SELECT bsm_resume_waiting_task($1)', [approval.taskUuid]);
    } else if (approval.kind === 'workflow_step') {
      await this.deps.steps?.()?.settleStep(tx, approval, decision);
    }
  }

  private async resolved(approval: ApprovalRecord): Promise<void> {
    this.deps.events.emit(
      'approval:resolved',
      {
        approvalId: approval.approvalId,
        kind: approval.kind,
        status: approval.status,
        taskId: approval.taskId,
        runId: approval.runId,
        stepId: approval.stepId,
        decidedBy: approval.decidedBy,
      },
      { ownerId: approval.requestedBy, ...(approval.taskId ? { taskId: approval.taskId } : {}) },
    );
    if (approval.kind === 'workflow_step' && approval.runId) {
      await this.deps
        .steps?.()
        ?.advance(approval.runId)
        .catch((err: unknown) =>
          this.deps.logger.error({ err, runId: approval.runId }, 'could not advance run after a decision'),
        );
    }
  }

  /** Edited arguments: approve only, tool calls only, valid for the action, allowed for the agent. */
  private async checkArgs(
    tx: Queryable,
    approval: ApprovalRecord,
    args: unknown,
    approve: boolean,
  ): Promise<void> {
    if (!approve) throw validation('args are accepted on approve only', { field: 'args' });
    if (approval.kind !== 'tool_call' || !approval.action) {
      throw validation('args apply to tool-call approvals only', { field: 'args' });
    }
    const problem = this.deps.validateArgs(approval.action, args);
    if (problem) throw validation(`Invalid arguments for ${approval.action}: ${problem}`, { field: 'args' });
    const { rows } = await tx.query<{ actions: string[] | null }>(
      'SELECT a.actions FROM tasks t JOIN agents a ON a.id = t.agent_id WHERE t.id = $1',
      [approval.taskUuid],
    );
    if (!rows[0]?.actions?.includes(approval.action)) {
      throw validation(`Action ${approval.action} is no longer allowed for the task's agent`, {
        field: 'args',
      });
    }
  }
}

/** Another user's approval answers exactly like a missing one (no existence leak). */
function visible(approval: ApprovalRecord, actor: Actor): ApprovalRecord {
  if (actor.ownerScope !== undefined && approval.requestedBy !== actor.ownerScope) {
    throw new AppError('Approval not found', 404, 'APPROVAL_NOT_FOUND');
  }
  return approval;
}
