import type { Agent } from '../../domain.js';

/**
 * Per-agent concurrency on this node (`config.maxConcurrency`). The limit is learned from the
 * agent when one of its tasks is claimed; agents at their limit are left out of the next claims.
 */
export class AgentSlots {
  private readonly running = new Map<string, number>();
  private readonly limits = new Map<string, number>();

  /** Records the agent's limit and says whether it has a free slot now. */
  hasRoom(agent: Agent): boolean {
    const max = Number(agent.config.maxConcurrency);
    if (Number.isInteger(max) && max > 0) this.limits.set(agent.id, max);
    else this.limits.delete(agent.id);
    const limit = this.limits.get(agent.id);
    return limit === undefined || (this.running.get(agent.id) ?? 0) < limit;
  }

  take(agentId: string): void {
    this.running.set(agentId, (this.running.get(agentId) ?? 0) + 1);
  }

  give(agentId: string): void {
    const n = (this.running.get(agentId) ?? 1) - 1;
    if (n > 0) this.running.set(agentId, n);
    else this.running.delete(agentId);
  }

  /** Agents (UUIDs) at their limit: the claim skips their tasks. */
  full(): string[] {
    const out: string[] = [];
    for (const [agentId, n] of this.running) {
      const limit = this.limits.get(agentId);
      if (limit !== undefined && n >= limit) out.push(agentId);
    }
    return out;
  }
}
