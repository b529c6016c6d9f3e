/**
 * Save-time checks of a workflow definition, so a broken workflow is a 400 naming the problem
 * instead of a run that fails halfway: step ids, dependencies, cycles, agents, template references.
 */
import { validation } from '../../errors.js';
import type { WorkflowDefinition, WorkflowStep } from '../../repositories/workflows.js';
import { checkOnTimeout, checkTimeout } from '../approvals/policy.js';
import { type TemplateError, templateRefs } from './template.js';

export const STEP_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';
const STEP_ID_RE = new RegExp(STEP_ID_PATTERN);
export const MAX_STEPS = 100;

/** The first cycle among the steps, as the list of ids that close it (`a → b → a`), or null. */
export function findCycle(steps: readonly WorkflowStep[]): string[] | null {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const step of steps) {
    const cycle = visit(step.id);
    if (cycle) return cycle;
  }
  return null;
}

const MAX_TASK_TIMEOUT_SECONDS = 86_400;

/** An approval step waits for a person: a message, no agent and no task input (SPEC §11). */
function checkApprovalStep(step: WorkflowStep, index: number): void {
  const name = typeof step.id === 'string' ? step.id : String(index + 1);
  if (step.agentId !== undefined || step.input !== undefined) {
    throw validation(`Step ${name}: an approval step has no agentId and no input`, { step: name });
  }
  if (typeof step.message !== 'string' || !step.message.trim()) {
    throw validation(`Step ${name}: an approval step needs a message`, { step: name });
  }
  checkTimeout(step.timeoutSeconds, `steps.${name}.timeoutSeconds`);
  checkOnTimeout(step.onTimeout, `steps.${name}.onTimeout`);
}

/** Every step `id` depends on, directly or through others. */
export function ancestors(steps: readonly WorkflowStep[], id: string): Set<string> {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn ?? []]));
  const seen = new Set<string>();
  const queue = [...(deps.get(id) ?? [])];
  while (queue.length) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(deps.get(next) ?? []));
  }
  return seen;
}

/**
 * Throws a 400 VALIDATION_ERROR naming the first problem. `agentExists` answers whether an agent
 * handle is registered (the caller looks it up through the agent manager).
 */
export async function validateDefinition(
  definition: WorkflowDefinition,
  agentExists: (agentId: string) => Promise<boolean>,
): Promise<void> {
  const steps = definition?.steps;
  if (!Array.isArray(steps) || steps.length === 0) throw validation('A workflow needs at least one step');
  if (steps.length > MAX_STEPS) throw validation(`A workflow has at most ${MAX_STEPS} steps`);
  const ids = new Set<string>();
  // The HTTP schema checks these shapes already; the CLI reads definitions straight from a file.
  for (const [i, step] of steps.entries()) {
    if (step && typeof step === 'object' && step.type === 'approval') {
      checkApprovalStep(step, i);
    } else if (
      !step ||
      typeof step !== 'object' ||
      typeof step.agentId !== 'string' ||
      step.input === undefined
    ) {
      throw validation(`Step ${i + 1} needs an id, an agentId and an input`, { step: i });
    } else if (step.timeoutSeconds !== undefined && step.timeoutSeconds > MAX_TASK_TIMEOUT_SECONDS) {
      throw validation(
        `Step ${step.id}: timeoutSeconds of an agent step is at most ${MAX_TASK_TIMEOUT_SECONDS}`,
        {
          step: step.id,
        },
      );
    }
    const deps = step.dependsOn ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) {
      throw validation(`Step ${String(step.id)}: dependsOn must be a list of step ids`, { step: step.id });
    }
  }
  for (const step of steps) {
    if (!STEP_ID_RE.test(step.id)) {
      throw validation(`Step id "${step.id}" must match ${STEP_ID_PATTERN}`, { step: step.id });
    }
    if (ids.has(step.id)) throw validation(`Step id "${step.id}" is used twice`, { step: step.id });
    ids.add(step.id);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn ?? []) {
      if (!ids.has(dep)) {
        throw validation(`Step ${step.id} depends on unknown step "${dep}"`, { step: step.id });
      }
    }
  }
  const cycle = findCycle(steps);
  if (cycle) throw validation(`Steps form a cycle: ${cycle.join(' → ')}`, { cycle });
  for (const step of steps) {
    let refs: ReturnType<typeof templateRefs>;
    try {
      refs = templateRefs(step.type === 'approval' ? step.message : step.input);
    } catch (error) {
      throw validation(`Step ${step.id}: ${(error as TemplateError).message}`, { step: step.id });
    }
    const before = ancestors(steps, step.id);
    for (const ref of refs) {
      if (ref.root !== 'steps') continue;
      if (!ids.has(ref.stepId)) {
        throw validation(`Step ${step.id} reads the output of unknown step "${ref.stepId}"`, {
          step: step.id,
        });
      }
      if (!before.has(ref.stepId)) {
        throw validation(
          `Step ${step.id} reads the output of step ${ref.stepId} but does not depend on it (add it to dependsOn)`,
          { step: step.id },
        );
      }
    }
  }
  const agentIds = [...new Set(steps.filter((s) => s.type !== 'approval').map((s) => s.agentId))];
  for (const agentId of agentIds) {
    if (!(await agentExists(agentId))) {
      const step = steps.find((s) => s.agentId === agentId)!;
      throw validation(`Step ${step.id} uses unknown agent "${agentId}"`, { step: step.id, agentId });
    }
  }
}
