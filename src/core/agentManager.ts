import { CACHE_KEYS, CACHE_TTL, type CacheService } from '../cache/cacheService.js';
import { findSecretConfigKeys } from '../configSecrets.js';
import type { Agent, AgentStatus, Page, PageRequest } from '../domain.js';
import { AppError, validation } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentPatch, AgentRepository, NewAgent } from '../repositories/agents.js';
import { pageBounds } from '../repositories/sql.js';
import { checkApprovalConfig } from './approvals/policy.js';
import type { EventBus } from './eventBus.js';
import { agentBudget } from './usage/budgetGuard.js';

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
  /** Reads go memory → cache → database through it; absent = straight to the database. */
  cache?: CacheService;
}

/**
 * Agents as the rest of the system sees them: validated on the way in, looked up by their human
 * `agentId`. The HTTP routes and the CLI both go through here, never to the repository directly.
 */
export class AgentManager {
  constructor(private readonly deps: AgentManagerDeps) {}

  async create(input: NewAgent): Promise<Agent> {
    this.validate(input);
    checkApprovalConfig(input.config, input.actions ?? []);
    const agent = await this.deps.repo.create(input);
    await this.deps.cache?.invalidateAgent(agent);
    this.deps.logger.info({ agentId: agent.agentId }, 'agent created');
    this.deps.events.emit('agent:created', { agentId: agent.agentId, id: agent.id });
    return agent;
  }

  /** By the human `agentId`. */
  get(agentId: string): Promise<Agent> {
    return this.cached(CACHE_KEYS.AGENT_BY_AGENT_ID(agentId), reviveAgent, () =>
      this.deps.repo.findByAgentId(agentId),
    );
  }

  /** By the UUID `id` (tasks reference agents so). */
  getById(id: string): Promise<Agent> {
    return this.cached(CACHE_KEYS.AGENT(id), reviveAgent, () => this.deps.repo.findById(id));
  }

  /** Pages are cached per status/limit/offset; searches (`q`) always go to the database. */
  list(filters: { status?: AgentStatus; q?: string } & PageRequest = {}): Promise<Page<Agent>> {
    if (filters.q?.trim()) return this.deps.repo.search(filters.q, filters);
    return this.cached(listKey(filters), revivePage, () => this.deps.repo.findAll(filters));
  }

  async update(agentId: string, patch: AgentPatch): Promise<Agent> {
    if (Object.keys(patch).length === 0) throw validation('Nothing to update');
    this.validate(patch);
    if (patch.config !== undefined || patch.actions !== undefined) {
      const current = await this.deps.repo.findByAgentId(agentId);
      checkApprovalConfig(patch.config ?? current.config, patch.actions ?? current.actions);
    }
    const agent = await this.deps.repo.update(agentId, patch);
    await this.deps.cache?.invalidateAgent(agent);
    this.deps.logger.info({ agentId }, 'agent updated');
    this.deps.events.emit('agent:updated', { agentId, id: agent.id, version: agent.version });
    return agent;
  }

  async delete(agentId: string): Promise<Agent> {
    const agent = await this.deps.repo.delete(agentId);
    await this.deps.cache?.invalidateAgent(agent);
    this.deps.logger.info({ agentId }, 'agent deleted');
    this.deps.events.emit('agent:deleted', { agentId, id: agent.id });
    return agent;
  }

  /**
   * Drops every cached agent and list (at engine start). Entries cached by an older version may
   * hold config values that reads now redact (SPEC §10, no secrets in agent config).
   */
  async forgetCachedAgents(): Promise<void> {
    await this.deps.cache?.invalidate([CACHE_KEYS.AGENTS_LIST], ['agent:*', `${CACHE_KEYS.AGENTS_LIST}:*`]);
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

  private cached<T>(key: string, revive: (raw: unknown) => T, load: () => Promise<T>): Promise<T> {
    const cache = this.deps.cache;
    // readOnly: nothing modifies an agent or page it reads (a near-cache hit is one frozen object).
    return cache
      ? cache.getWithFallback(key, load, { ttl: CACHE_TTL.MEDIUM, revive, readOnly: true })
      : load();
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
    if (input.config !== undefined) {
      const secrets = findSecretConfigKeys(input.config);
      if (secrets.length) {
        throw validation(
          `${secrets.join(', ')} ${secrets.length > 1 ? 'name secrets' : 'names a secret'}: agent config is stored in plaintext, cached and shown to viewers. ` +
            'Store the key in the vault (PUT /api/secrets/:name) and name that secret in modelKey.',
          { field: secrets[0], keys: secrets },
        );
      }
    }
    if (input.config?.budget !== undefined && agentBudget(input.config) === undefined) {
      throw validation('config.budget must be {"usdPerDay": <number ≥ 0>}', { field: 'config.budget' });
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

/** The first page with no filter is the seed's `agents:list`; other pages are keyed below it. */
function listKey(filters: { status?: AgentStatus } & PageRequest): string {
  const { limit, offset } = pageBounds(filters);
  const plain = !filters.status && offset === 0 && limit === pageBounds().limit;
  return plain
    ? CACHE_KEYS.AGENTS_LIST
    : `${CACHE_KEYS.AGENTS_LIST}:${filters.status ?? 'all'}:${limit}:${offset}`;
}

/** JSON turns Dates into strings; a cached agent must come back exactly as from the database. */
export function reviveAgent(raw: unknown): Agent {
  const agent = raw as Agent & { createdAt: string | Date; updatedAt: string | Date };
  return { ...agent, createdAt: new Date(agent.createdAt), updatedAt: new Date(agent.updatedAt) };
}

function revivePage(raw: unknown): Page<Agent> {
  const page = raw as Page<unknown>;
  return { ...page, items: page.items.map(reviveAgent) };
}
