/**
 * Workflow definitions as the API and CLI see them: validated on every save (see validate.ts),
 * stored with a version that goes up on every change, and announced as `workflow:*` events.
 */
import type { Page, PageRequest } from '../../domain.js';
import { AppError, validation } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type {
  NewWorkflow,
  Workflow,
  WorkflowReplacement,
  WorkflowRepository,
} from '../../repositories/workflows.js';
import type { AgentManager } from '../agentManager.js';
import type { EventBus } from '../eventBus.js';
import { validateDefinition } from './validate.js';

export class Workflows {
  constructor(
    private readonly deps: {
      repo: WorkflowRepository;
      agents: AgentManager;
      events: EventBus;
      logger: Logger;
    },
  ) {}

  async create(input: NewWorkflow): Promise<Workflow> {
    if (typeof input.workflowId !== 'string' || !/^[A-Za-z0-9._:-]{1,100}$/.test(input.workflowId)) {
      throw validation('workflowId must be 1-100 letters, digits, ".", "_", ":" or "-"', {
        field: 'workflowId',
      });
    }
    if (typeof input.name !== 'string' || !input.name.trim())
      throw validation('name is required', { field: 'name' });
    await validateDefinition(input.definition, (id) => this.agentExists(id));
    const workflow = await this.deps.repo.create(input);
    this.deps.events.emit(
      'workflow:created',
      { workflowId: workflow.workflowId, version: workflow.version },
      { ownerId: workflow.createdBy },
    );
    return workflow;
  }

  get(workflowId: string): Promise<Workflow> {
    return this.deps.repo.findByWorkflowId(workflowId);
  }

  list(req: PageRequest = {}): Promise<Page<Workflow>> {
    return this.deps.repo.list(req);
  }

  async replace(workflowId: string, input: WorkflowReplacement): Promise<Workflow> {
    await this.deps.repo.findByWorkflowId(workflowId);
    await validateDefinition(input.definition, (id) => this.agentExists(id));
    const workflow = await this.deps.repo.replace(workflowId, input);
    this.deps.events.emit(
      'workflow:updated',
      { workflowId, version: workflow.version },
      { ownerId: workflow.createdBy },
    );
    return workflow;
  }

  async delete(workflowId: string): Promise<Workflow> {
    const workflow = await this.deps.repo.delete(workflowId);
    this.deps.events.emit('workflow:deleted', { workflowId }, { ownerId: workflow.createdBy });
    return workflow;
  }

  private async agentExists(agentId: string): Promise<boolean> {
    try {
      await this.deps.agents.get(agentId);
      return true;
    } catch (error) {
      if (error instanceof AppError && error.statusCode === 404) return false;
      throw error;
    }
  }
}
