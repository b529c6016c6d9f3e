import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const installed = promtool.status === 0;
if (!installed) {
  console.warn('promtool not installed: skipping `promtool check metrics` (apt-get install prometheus)');
}

/** SPEC §14: `promtool check metrics` on a real scrape reports nothing. */
describe.skipIf(!installed)('promtool check metrics', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem('pglite');
  });
  afterAll(() => t?.close());

  it('reports nothing for a /metrics scrape after some traffic', async () => {
    const agent = await t.system.agents.create({
      agentId: 'prom',
      name: 'P',
      role: 'r',
      modelProvider: 'echo',
    });
    await t.system.queue.start();
    const { task } = await t.system.queue.submit({ agentId: agent.agentId, input: { prompt: 'hi' } });
    await t.system.queue.waitForTask(task.taskId, 10_000);
    await t.inject('/api/agents');
    const res = await t.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('bsm_queue_task_run_duration_seconds_bucket');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });
});
