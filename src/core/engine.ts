/**
 * The engine orchestrator (SPEC §5): starts its components in dependency order — database check →
 * cache → event bus → agent manager → task queue (→ plugins, workflows when they exist) — and
 * stops them in reverse. Each component reports its own status and metrics.
 */
import type { Logger } from '../logger.js';
import type { EventBus } from './eventBus.js';

export interface EngineComponent {
  name: string;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  status?(): object;
  metrics?(): Promise<object> | object;
}

export type EngineState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Engine {
  private state: EngineState = 'created';
  private started: EngineComponent[] = [];
  private startedAt: Date | undefined;

  constructor(
    private readonly components: EngineComponent[],
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly nodeId: string,
  ) {
    events.emit('engine:initialized', { nodeId, components: components.map((c) => c.name) });
  }

  async start(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') return;
    this.state = 'starting';
    try {
      for (const component of this.components) {
        await component.start?.();
        this.started.push(component);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'engine failed to start; stopping what started');
      await this.stop();
      throw error;
    }
    this.state = 'running';
    this.startedAt = new Date();
    this.events.emit('engine:started', { nodeId: this.nodeId });
    this.logger.info({ components: this.components.map((c) => c.name) }, 'engine started');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'created') return;
    this.state = 'stopping';
    for (const component of this.started.reverse()) {
      await component
        .stop?.()
        .catch((err: unknown) => this.logger.warn({ err, component: component.name }, 'stop failed'));
    }
    this.started = [];
    this.state = 'stopped';
    this.events.emit('engine:stopped', { nodeId: this.nodeId });
  }

  getStatus() {
    return {
      state: this.state,
      nodeId: this.nodeId,
      startedAt: this.startedAt?.toISOString() ?? null,
      uptimeSeconds: this.startedAt ? Math.round((Date.now() - this.startedAt.getTime()) / 1000) : 0,
      components: this.components.map((c) => ({ name: c.name, ...(c.status?.() ?? {}) })),
    };
  }

  async getMetrics(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const c of this.components) if (c.metrics) out[c.name] = await c.metrics();
    return out;
  }
}
