import { describe, expect, it } from 'vitest';
import { HeldTasks } from '../../../src/core/queue/heldTasks.js';
import type { Task } from '../../../src/domain.js';

const held = (id: string, since: number) => ({
  task: { id, taskId: `t-${id}` } as Task,
  agent: undefined,
  checkpoint: undefined,
  traceparent: null,
  since,
});

describe('HeldTasks (claim-ahead)', () => {
  it('wants nothing ahead until it has seen a claim and a task run', () => {
    const h = new HeldTasks(10, 10, 200);
    expect(h.wanted).toBe(0);
    h.observeClaim(2);
    expect(h.wanted).toBe(0);
    h.observeRun(0.5);
    expect(h.wanted).toBe(10); // 10 slots × 2 ms ÷ 0.5 ms = 40, at most maxAhead
    const more = new HeldTasks(10, 40, 200);
    more.observeClaim(2);
    more.observeRun(0.5);
    expect(more.wanted).toBe(40);
    const instant = new HeldTasks(10, 40, 200);
    instant.observeClaim(2);
    instant.observeRun(0);
    expect(instant.wanted).toBe(40);
  });

  it('wants what the slots finish during one claim (Little’s law), nothing for long tasks', () => {
    const h = new HeldTasks(10, 10, 200);
    h.observeClaim(3);
    h.observeRun(10);
    expect(h.wanted).toBe(3); // 10 × 3 ÷ 10
    const long = new HeldTasks(10, 10, 200);
    long.observeClaim(3);
    long.observeRun(2_000);
    expect(long.wanted).toBe(0);
  });

  it('gives back only tasks held past the hold, oldest first, and then stops claiming ahead', () => {
    const h = new HeldTasks(2, 2, 200);
    h.observeClaim(5);
    h.observeRun(1);
    expect(h.wanted).toBe(2);
    h.hold(held('a', 0));
    h.hold(held('b', 150));
    expect(h.takeExpired(199)).toEqual([]);
    expect(h.takeExpired(250)).toEqual(['a']);
    expect(h.ids()).toEqual(['b']);
    expect(h.wanted).toBe(0);
    expect(h.nextExpiry()).toBe(350);
    expect(h.takeAll()).toEqual(['b']);
    expect(h.nextExpiry()).toBeUndefined();
  });

  it('starts held tasks in claim order, skipping those that cannot start yet', () => {
    const h = new HeldTasks(3, 3, 200);
    for (const id of ['a', 'b', 'c']) h.hold(held(id, 0));
    const started = h.takeStartable(2, (e) => e.task.id !== 'a');
    expect(started.map((e) => e.task.id)).toEqual(['b', 'c']);
    expect(h.ids()).toEqual(['a']);
    expect(h.take('a')?.task.id).toBe('a');
    expect(h.size).toBe(0);
  });
});
