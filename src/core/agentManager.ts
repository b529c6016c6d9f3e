import type { Agent, AgentStatus, Page, PageRequest } from '../domain.js';
import { AppError, validation } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentPatch, AgentRepository, NewAgent } from '../repositories/agents.js';
import type { EventBus } from './eventBus.js';

/** SPEC §5: lowercase letters, digits, `.`, `_`, `-`; 2–100 characters, starting alphanumeric. */
export const AGENT_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{1,99}$';
const AGENT_ID_RE = new RegExp(AGENT_ID_PATTERN);

export interface AgentManagerDeps {
  repo: AgentRepository;
  logger: Logger;
  events: EventBus;
  /** Names of the model providers the engine can call (`echo`, `openai`, …). */
  providers: () => readonly string[];
  /** Names of the actions registered in the plugin system. */
  actions: () => readonly string[];
}

/**
 * Agents as the rest of the system sees them: validated on the way in, looked up by their human
 * `agentId`. The HTTP routes and the CLI both go through here, never to the repository directly.
 */
export class AgentManager {
  constructor(private readonly deps: AgentManagerDeps) {}

  async create(input: NewAgent): Promise<Agent> {
    this.validate(input);
    const agent = await this.deps.repo.create(input);
    this.deps.logger.info({ agentId: agent.agentId }, 'agent created');
    this.deps.events.emit('agent:created', { agentId: agent.agentId, id: agent.id });
    return agent;
  }

  get(agentId: string): Promise<Agent> {
    return this.deps.repo.findByAgentId(agentId);
  }

  list(filters: { status?: AgentStatus; q?: string } & PageRequest = {}): Promise<Page<Agent>> {
    if (filters.q?.trim()) return this.deps.repo.search(filters.q, filters);
    return this.deps.repo.findAll(filters);
  }

  async update(agentId: string, patch: AgentPatch): Promise<Agent> {
    if (Object.keys(patch).length === 0) throw validation('Nothing to update');
    this.validate(patch);
    const agent = await this.deps.repo.update(agentId, patch);
    this.deps.logger.info({ agentId }, 'agent updated');
    this.deps.events.emit('agent:updated', { agentId, id: agent.id, version: agent.version });
    return agent;
  }

  async delete(agentId: string): Promise<Agent> {
    const agent = await this.deps.repo.delete(agentId);
    this.deps.logger.info({ agentId }, 'agent deleted');
    this.deps.events.emit('agent:deleted', { agentId, id: agent.id });
    return agent;
  }

  /** An agent may take an action only when it is active and the action is on its allow-list. */
  canPerformAction(agent: Agent, action: string): boolean {
    return agent.status === 'active' && agent.actions.includes(action);
  }

  async getAgentCapabilities(agentId: string): Promise<string[]> {
    return (await this.get(agentId)).capabilities;
  }

  /** Only active agents take tasks. */
  assertActive(agent: Agent): void {
    if (agent.status !== 'active') {
      throw new AppError(`Agent ${agent.agentId} is ${agent.status}`, 400, 'AGENT_NOT_ACTIVE');
    }
  }

  async metrics(): Promise<{
    total: number;
    active: number;
    inactive: number;
    byStatus: Record<string, number>;
  }> {
    const byStatus = await this.deps.repo.countByStatus();
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    const active = byStatus.active ?? 0;
    return { total, active, inactive: total - active, byStatus };
  }

  private validate(input: Partial<NewAgent>): void {
    if (input.agentId !== undefined && !AGENT_ID_RE.test(input.agentId)) {
      throw validation(`agentId must match ${AGENT_ID_PATTERN}`, { field: 'agentId' });
    }
    if (input.name !== undefined && !input.name.trim())
      throw validation('name is required', { field: 'name' });
    if (input.role !== undefined && !input.role.trim())
      throw validation('role is required', { field: 'role' });
    if (input.modelProvider !== undefined && !this.deps.providers().includes(input.modelProvider)) {
      throw validation(
        `modelProvider must be one of ${this.deps.providers().join(', ')}; got ${input.modelProvider}`,
        { field: 'modelProvider' },
      );
    }
    if (input.actions) {
      const known = this.deps.actions();
      const unknown = input.actions.filter((a) => !known.includes(a));
      if (unknown.length) {
        throw validation(`Unknown actions: ${unknown.join(', ')} (known: ${known.join(', ') || 'none'})`, {
          field: 'actions',
        });
      }
    }
  }
}
