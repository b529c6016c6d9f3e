import { describe, expect, it } from 'vitest';
import { EventBus, type EventTransport } from '../../src/core/eventBus.js';
import type { BusEvent } from '../../src/core/events.js';
import { createLogger } from '../../src/logger.js';

/** A transport the test drives: what it "receives" from other nodes, and what it was asked to publish. */
class FakeTransport implements EventTransport {
  onRemote: ((event: BusEvent) => void) | undefined;
  readonly published: BusEvent[] = [];
  async start(onRemote: (event: BusEvent) => void) {
    this.onRemote = onRemote;
  }
  async publish(event: BusEvent) {
    this.published.push(event);
  }
  async stop() {}
}

describe('EventBus', () => {
  it('delivers a redelivered remote event once, drops the echo of its own, and publishes its own', async () => {
    const transport = new FakeTransport();
    const bus = new EventBus('node-a', createLogger('silent'), transport);
    await bus.start();
    const got: string[] = [];
    bus.subscribe((e) => got.push(`${e.nodeId}:${e.type}`));

    const own = bus.emit('task:started', { taskId: 't1' }, { taskId: 't1' });
    expect(transport.published.map((e) => e.id)).toEqual([own.id]);
    transport.onRemote?.(own); // our own event coming back
    const remote: BusEvent = { ...own, id: 'remote-1', nodeId: 'node-b', type: 'task:completed' };
    transport.onRemote?.(remote);
    transport.onRemote?.(remote); // redelivered
    expect(got).toEqual(['node-a:task:started', 'node-b:task:completed']);
    expect(bus.metrics().counts).toMatchObject({ 'task:started': 1, 'task:completed': 1 });
  });
});
