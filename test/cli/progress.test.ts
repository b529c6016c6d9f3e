import { describe, expect, it } from 'vitest';
import { describeProgress, ProgressLine } from '../../src/cli/progress.js';
import type { Task } from '../../src/domain.js';

const task = (over: Partial<Task>): Task =>
  ({
    taskId: 't-1',
    status: 'running',
    retryCount: 0,
    maxRetries: 3,
    error: null,
    runAt: new Date(),
    ...over,
  }) as Task;

function terminal(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, columns: 60, write: (s: string) => writes.push(s) > 0 }, writes };
}

describe('--wait progress', () => {
  it('says why a task is retrying and when the next attempt starts', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const text = describeProgress(
      task({ status: 'pending', retryCount: 1, error: 'Connection\nerror.', runAt: new Date(now + 4_000) }),
      now,
    );
    expect(text).toBe('t-1: pending · attempt 2 of 4 · retrying after: Connection error. (next try in 4 s)');
  });

  it('redraws one line in place on a terminal and ends it once', () => {
    const { out, writes } = terminal(true);
    const line = new ProgressLine(out);
    line.update(task({ status: 'pending' }));
    line.update(task({ status: 'pending' }));
    line.update(task({ status: 'pending', retryCount: 1, error: 'x'.repeat(200) }));
    line.update(task({ status: 'completed', retryCount: 1 }));
    line.done();
    expect(writes).toHaveLength(4);
    for (const w of writes.slice(0, 3)) {
      expect(w.startsWith('\r\x1b[2K')).toBe(true);
      expect(w).not.toContain('\n');
      expect(w.length - 5).toBeLessThanOrEqual(59);
    }
    expect(writes[3]).toBe('\n');
  });

  it('writes one line per change when stderr is not a terminal', () => {
    const { out, writes } = terminal(false);
    const line = new ProgressLine(out);
    line.update(task({ status: 'running' }));
    line.update(task({ status: 'completed' }));
    line.done();
    expect(writes).toEqual(['t-1: running\n', 't-1: completed\n']);
  });
});
