/**
 * Runs workflows. Every decision is one transaction with the run row locked: which steps are
 * ready, which fail, whether the run is over. Tasks are submitted only after that transaction
 * commits, under a task id derived from the run and step, so submitting again (after a crash
 * between commit and submit, or on another node) finds the same task instead of running it twice.
 * All state lives in the database: `resume()` at start picks every running run up again.
 * An approval step (SPEC §11) opens its approval request in the same transaction that makes it
 * `waiting`; the decision settles it in the decision's own transaction (`settleStep`).
 */
import type { Db, Queryable } from '../../db/index.js';
import { type TaskStatus, TERMINAL_TASK_STATUSES } from '../../domain.js';
import { AppError, validation } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { type ApprovalRecord, ApprovalRepository } from '../../repositories/approvals.js';
import {
  type WorkflowRun,
  WorkflowRunRepository,
  type WorkflowRunStep,
} from '../../repositories/workflowRuns.js';
import type { Workflow, WorkflowRepository, WorkflowStep } from '../../repositories/workflows.js';
import type { ApprovalService, ApprovalSteps, StepDecision } from '../approvals/approvalService.js';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../approvals/policy.js';
import type { EventBus } from '../eventBus.js';
import type { EventType } from '../events.js';
import {
  type StepTaskOutcome,
  type StepTaskRequest,
  stepTaskId,
  type WorkflowTaskRunner,
} from './taskRunner.js';
import { render, TemplateError, templateRefs } from './template.js';

export interface WorkflowEngineDeps {
  db: Db;
  workflows: WorkflowRepository;
  runner: WorkflowTaskRunner;
  events: EventBus;
  logger: Logger;
  /** Announces approval steps' requests; without it a run cannot hold approval steps. */
  approvals?: ApprovalService;
}

type PendingEvent = [EventType, Record<string, unknown>];
const FAILED: ReadonlySet<string> = new Set(['failed', 'cancelled', 'skipped']);

/** Steps still in flight: the run is not over while any is left. */
const OPEN: ReadonlySet<string> = new Set(['pending', 'running', 'waiting']);

export class WorkflowEngine implements ApprovalSteps {
  constructor(private readonly deps: WorkflowEngineDeps) {}

  async startRun(
    workflowId: string,
    input: Record<string, unknown>,
    createdBy: string | null,
  ): Promise<WorkflowRun> {
    const workflow = await this.prepareRun(workflowId, input);
    const runId = await this.deps.db.transaction((tx) => this.createRun(tx, workflow, input, createdBy));
    return this.launch(runId, workflowId, createdBy);
  }

  /** The workflow, once the run input is known to hold what its templates read. */
  async prepareRun(workflowId: string, input: Record<string, unknown>): Promise<Workflow> {
    const workflow = await this.deps.workflows.findByWorkflowId(workflowId);
    // A run whose input lacks what the templates read would fail at its first step: say so now.
    for (const step of workflow.definition.steps) {
      for (const ref of templateRefs(step.input)) {
        if (ref.root !== 'input') continue;
        try {
          render(`{{input.${ref.path.join('.')}}}`, { input, steps: {} });
        } catch (error) {
          throw validation(`Run input is missing ${ref.path.join('.')} (step ${step.id} reads it)`, {
            field: `input.${ref.path.join('.')}`,
            detail: (error as TemplateError).message,
          });
        }
      }
    }
    return workflow;
  }

  /**
   * Inserts a run of a prepared workflow inside the caller's transaction (a schedule's fire
   * commits its fire record with it); `launch` it once that transaction has committed.
   */
  createRun(
    tx: Queryable,
    workflow: Workflow,
    input: Record<string, unknown>,
    createdBy: string | null,
    metadata: Record<string, unknown> = {},
  ): Promise<string> {
    return new WorkflowRunRepository(tx).create({
      workflowUuid: workflow.id,
      workflowVersion: workflow.version,
      definition: workflow.definition,
      input,
      createdBy,
      metadata,
    });
  }

  /** Announces a committed run and queues its first steps. */
  async launch(runId: string, workflowId: string, createdBy: string | null): Promise<WorkflowRun> {
    this.deps.logger.info({ runId, workflowId }, 'workflow run started');
    this.deps.events.emit('workflow:run:started', { runId, workflowId }, { ownerId: createdBy });
    await this.advance(runId);
    return this.getRun(runId);
  }

  getRun(runId: string): Promise<WorkflowRun> {
    return new WorkflowRunRepository(this.deps.db).find(runId);
  }

  /** Schedules every step whose dependencies are done; ends the run when nothing is left. */
  async advance(runId: string): Promise<void> {
    for (const [type, payload, ownerId] of this.settled.splice(0))
      this.deps.events.emit(type, payload, { ownerId });
    const submits: StepTaskRequest[] = [];
    const cancels: string[] = [];
    const events: PendingEvent[] = [];
    const requested: ApprovalRecord[] = [];
    let owner: string | null = null;
    await this.deps.db.transaction(async (tx) => {
      const runs = new WorkflowRunRepository(tx);
      const run = await runs.lock(runId);
      if (run?.status !== 'running') return;
      owner = run.createdBy;
      const steps = await runs.steps(runId);
      const state = new Map(steps.map((s) => [s.stepId, s]));
      const defs = new Map(run.definition.steps.map((d) => [d.id, d]));
      const workflowId = await this.workflowHandle(tx, runId);
      const set = async (
        step: WorkflowRunStep,
        change: Partial<WorkflowRunStep> & { status: WorkflowRunStep['status'] },
      ) => {
        Object.assign(step, change);
        await runs.updateStep(runId, step.stepId, {
          status: change.status,
          taskId: change.taskId ?? undefined,
          input: change.input,
          error: change.error,
        });
      };
      for (let changed = true; changed; ) {
        changed = false;
        const fatal = steps.find(
          (s) => FAILED.has(s.status) && s.status !== 'skipped' && !defs.get(s.stepId)?.continueOnError,
        );
        if (fatal) {
          for (const step of steps) {
            if (step.status === 'running' || step.status === 'waiting') {
              if (step.taskId) cancels.push(step.taskId);
              await set(step, { status: 'cancelled', error: `cancelled: step ${fatal.stepId} failed` });
            } else if (step.status === 'pending') await set(step, { status: 'skipped' });
          }
          await new ApprovalRepository(tx).cancelPending({ runId });
          const error = `Step ${fatal.stepId} ${fatal.status}${fatal.error ? `: ${fatal.error}` : ''}`;
          await runs.finish(runId, 'failed', leafOutputs(run.definition.steps, steps), error);
          events.push(['workflow:run:failed', { runId, workflowId, error }]);
          return;
        }
        for (const step of steps) {
          if (step.status !== 'pending') continue;
          const deps = defs.get(step.stepId)?.dependsOn ?? [];
          if (deps.some((d) => FAILED.has(state.get(d)?.status ?? ''))) {
            await set(step, { status: 'skipped', error: 'a step it depends on did not complete' });
            changed = true;
            continue;
          }
          if (!deps.every((d) => state.get(d)?.status === 'completed')) continue;
          const def = defs.get(step.stepId)!;
          const outputs = Object.fromEntries(
            steps.filter((s) => s.status === 'completed').map((s) => [s.stepId, s.output]),
          );
          let input: unknown;
          try {
            if (def.type === 'approval') {
              const message = String(render(def.message ?? '', { input: run.input, steps: outputs }));
              const { approval, created } = await new ApprovalRepository(tx).request({
                kind: 'workflow_step',
                runId,
                stepId: step.stepId,
                message,
                requestedBy: run.createdBy,
                timeoutSeconds: def.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS,
                onTimeout: def.onTimeout ?? 'reject',
              });
              if (created) requested.push(approval);
              await set(step, { status: 'waiting', input: { message, approvalId: approval.approvalId } });
              events.push([
                'workflow:step:started',
                { runId, workflowId, stepId: step.stepId, approvalId: approval.approvalId },
              ]);
              continue;
            }
            input = render(def.input, { input: run.input, steps: outputs });
          } catch (error) {
            const message = error instanceof TemplateError ? error.message : String(error);
            await set(step, { status: 'failed', error: `input template: ${message}` });
            events.push(['workflow:step:failed', { runId, workflowId, stepId: step.stepId, error: message }]);
            changed = true;
            continue;
          }
          const taskId = stepTaskId(runId, step.stepId);
          await set(step, { status: 'running', taskId, input });
          submits.push(this.request(def, taskId, input, run.createdBy, workflowId, runId));
          events.push(['workflow:step:started', { runId, workflowId, stepId: step.stepId, taskId }]);
        }
      }
      if (steps.every((s) => !OPEN.has(s.status))) {
        await runs.finish(runId, 'completed', leafOutputs(run.definition.steps, steps), null);
        events.push(['workflow:run:completed', { runId, workflowId }]);
      }
    });
    for (const [type, payload] of events) this.deps.events.emit(type, payload, { ownerId: owner });
    for (const approval of requested) this.deps.approvals?.announceRequested(approval);
    await Promise.all(cancels.map((taskId) => this.cancelTask(taskId)));
    await Promise.all(submits.map((request) => this.submit(request)));
  }

  /** Records a step task's end and moves its run on. Tasks that are not workflow steps are ignored. */
  async onTaskFinished(
    taskId: string,
    status: TaskStatus,
    output: unknown,
    error: string | null,
  ): Promise<void> {
    if (!TERMINAL_TASK_STATUSES.includes(status)) return;
    const ref = await new WorkflowRunRepository(this.deps.db).findStepByTaskId(taskId);
    if (!ref) return;
    let event: PendingEvent | undefined;
    let owner: string | null = null;
    await this.deps.db.transaction(async (tx) => {
      const runs = new WorkflowRunRepository(tx);
      const run = await runs.lock(ref.runId);
      if (run?.status !== 'running') return;
      owner = run.createdBy;
      const step = (await runs.steps(ref.runId)).find((s) => s.stepId === ref.stepId);
      if (step?.status !== 'running' || step.taskId !== taskId) return;
      const workflowId = await this.workflowHandle(tx, ref.runId);
      const base = { runId: ref.runId, workflowId, stepId: ref.stepId, taskId };
      if (status === 'completed') {
        await runs.updateStep(ref.runId, ref.stepId, { status: 'completed', output: output ?? {} });
        event = ['workflow:step:completed', base];
      } else {
        const message = error ?? `task ${status}`;
        await runs.updateStep(ref.runId, ref.stepId, { status: 'failed', error: message });
        event = ['workflow:step:failed', { ...base, error: message }];
      }
    });
    if (!event) return;
    this.deps.events.emit(event[0], event[1], { ownerId: owner, taskId });
    await this.advance(ref.runId);
  }

  async cancel(runId: string): Promise<WorkflowRun> {
    const cancels: string[] = [];
    let owner: string | null = null;
    await this.deps.db.transaction(async (tx) => {
      const runs = new WorkflowRunRepository(tx);
      const run = await runs.lock(runId);
      if (!run) throw new AppError('Workflow run not found', 404, 'WORKFLOW_RUN_NOT_FOUND');
      if (run.status !== 'running') {
        throw new AppError(`Workflow run is already ${run.status}`, 409, 'WORKFLOW_RUN_FINISHED');
      }
      owner = run.createdBy;
      for (const step of await runs.steps(runId)) {
        if (step.status === 'running' || step.status === 'waiting') {
          if (step.taskId) cancels.push(step.taskId);
          await runs.updateStep(runId, step.stepId, { status: 'cancelled', error: 'run cancelled' });
        } else if (step.status === 'pending') {
          await runs.updateStep(runId, step.stepId, { status: 'skipped' });
        }
      }
      await new ApprovalRepository(tx).cancelPending({ runId });
      await runs.finish(runId, 'cancelled', null, 'run cancelled');
    });
    this.deps.events.emit('workflow:run:cancelled', { runId }, { ownerId: owner });
    await Promise.all(cancels.map((taskId) => this.cancelTask(taskId)));
    return this.getRun(runId);
  }

  /**
   * Settles an approval step in the decision's transaction: approved → `completed` with output
   * `{approved, comment, decidedBy}`; rejected or expired (onTimeout reject) → `failed`, which
   * fails the run or not as for any step (`continueOnError`). `advance` follows the commit.
   */
  async settleStep(tx: Queryable, approval: ApprovalRecord, decision: StepDecision): Promise<void> {
    if (!approval.runId || !approval.stepId) return;
    const runs = new WorkflowRunRepository(tx);
    const run = await runs.lock(approval.runId);
    if (run?.status !== 'running') return;
    const step = (await runs.steps(approval.runId)).find((s) => s.stepId === approval.stepId);
    if (step?.status !== 'waiting') return;
    const output = { approved: decision.approved, comment: decision.comment, decidedBy: decision.decidedBy };
    const how = decision.decidedBy === null ? 'expired' : 'rejected';
    await runs.updateStep(approval.runId, approval.stepId, {
      status: decision.approved ? 'completed' : 'failed',
      output,
      error: decision.approved
        ? undefined
        : `approval ${how}${decision.comment ? `: ${decision.comment}` : ''}`,
    });
    const workflowId = await this.workflowHandle(tx, approval.runId);
    const base = {
      runId: approval.runId,
      workflowId,
      stepId: approval.stepId,
      approvalId: approval.approvalId,
    };
    this.settled.push([
      decision.approved ? 'workflow:step:completed' : 'workflow:step:failed',
      base,
      run.createdBy,
    ]);
  }

  /** Step events of settled approval steps, emitted once their transaction committed. */
  private settled: Array<[EventType, Record<string, unknown>, string | null]> = [];

  /**
   * Continues every running run after a restart: resubmits each running step (the queue answers
   * the existing task, finished or not, thanks to the fixed task id) and advances the run.
   */
  async resume(): Promise<number> {
    const runIds = await new WorkflowRunRepository(this.deps.db).runningRunIds();
    for (const runId of runIds) {
      try {
        const run = await this.getRun(runId);
        const state = await new WorkflowRunRepository(this.deps.db).state(runId);
        const defs = new Map((state?.definition.steps ?? []).map((d) => [d.id, d]));
        for (const step of run.steps) {
          const def = defs.get(step.stepId);
          if (step.status !== 'running' || !step.taskId || !def) continue;
          await this.submit(this.request(def, step.taskId, step.input, run.createdBy, run.workflowId, runId));
        }
        await this.advance(runId);
      } catch (error) {
        this.deps.logger.error({ runId, err: (error as Error).message }, 'could not resume workflow run');
      }
    }
    return runIds.length;
  }

  private request(
    def: WorkflowStep,
    taskId: string,
    input: unknown,
    createdBy: string | null,
    workflowId: string,
    runId: string,
  ): StepTaskRequest {
    return {
      taskId,
      agentId: def.agentId,
      input,
      ...(def.timeoutSeconds ? { timeoutSeconds: def.timeoutSeconds } : {}),
      createdBy,
      metadata: { workflowId, workflowRunId: runId, workflowStepId: def.id },
    };
  }

  /** Submits one step's task; a refusal (agent gone, inactive) fails the step like a failed task. */
  private async submit(request: StepTaskRequest): Promise<void> {
    let outcome: StepTaskOutcome;
    try {
      outcome = await this.deps.runner.submit(request);
    } catch (error) {
      await this.onTaskFinished(
        request.taskId,
        'failed',
        null,
        `could not submit: ${(error as Error).message}`,
      );
      return;
    }
    if (TERMINAL_TASK_STATUSES.includes(outcome.status)) {
      await this.onTaskFinished(
        request.taskId,
        outcome.status,
        outcome.output ?? null,
        outcome.error ?? null,
      );
    }
  }

  private async cancelTask(taskId: string): Promise<void> {
    await this.deps.runner.cancel(taskId).catch((error: Error) => {
      this.deps.logger.warn({ taskId, err: error.message }, 'could not cancel a workflow step task');
    });
  }

  private async workflowHandle(tx: { query: Db['query'] }, runId: string): Promise<string> {
    const { rows } = await tx.query<{ workflow_id: string }>(
      'SELECT w.workflow_id FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.id = $1',
      [runId],
    );
    return rows[0]?.workflow_id ?? '';
  }
}

/** The run's output: the outputs of the steps nothing else depends on (the DAG's ends). */
function leafOutputs(
  defs: readonly WorkflowStep[],
  steps: readonly WorkflowRunStep[],
): Record<string, unknown> {
  const used = new Set(defs.flatMap((d) => d.dependsOn ?? []));
  return Object.fromEntries(
    steps.filter((s) => !used.has(s.stepId) && s.status === 'completed').map((s) => [s.stepId, s.output]),
  );
}
