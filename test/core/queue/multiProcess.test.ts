/**
 * Several worker processes over one PostgreSQL: claims never overlap, and a worker killed with
 * SIGKILL loses nothing. Real processes, real database (these need the built `dist/`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../../src/system.js';
import { createSystem } from '../../../src/system.js';
import { type ChatHandler, startChatServer } from '../../helpers/chatServer.js';
import { createServerDatabase, quietLogger, serverDatabaseUrl, testConfig } from '../../helpers/db.js';
import { BSM, type Child, clusterSecrets, spawnNode, TEST_WORKER } from '../../helpers/processes.js';

describe.runIf(serverDatabaseUrl)('worker processes sharing one PostgreSQL queue', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let system: System;
  let server: Awaited<ReturnType<typeof startChatServer>>;
  let handler: ChatHandler = () => ({ content: 'ok' });
  const children: Child[] = [];
  const secrets = clusterSecrets();

  const worker = (env: Record<string, string> = {}) => {
    const child = spawnNode(TEST_WORKER, [], {
      ...secrets,
      DATABASE_URL: database.url,
      BSM_POLL_INTERVAL_MS: '100',
      BSM_MAX_CONCURRENT_TASKS: '10',
      ...env,
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    database = await createServerDatabase();
    server = await startChatServer((...args) => handler(...args));
    system = await createSystem(testConfig({ ...secrets, DATABASE_URL: database.url }), {
      logger: quietLogger,
    });
    await system.agents.create({
      agentId: 'remote',
      name: 'Remote',
      role: 'r',
      modelProvider: 'openai',
      config: { baseUrl: server.url, keyless: true },
    });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop('SIGKILL');
  });
  afterAll(async () => {
    await system?.close();
    await server?.close();
    await database?.drop();
  });

  async function waitUntilFinished(count: number, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await system.repos.tasks.countByStatus();
      if (counts.completed + counts.failed + counts.cancelled >= count || Date.now() > deadline)
        return counts;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('runs each of 1,000 tasks exactly once when two workers claim concurrently', async () => {
    const seen = new Map<string, number>();
    handler = (body) => {
      const prompt = String(body.messages.at(-1)?.content);
      seen.set(prompt, (seen.get(prompt) ?? 0) + 1);
      return { content: `done ${prompt}` };
    };
    for (let i = 0; i < 1000; i++)
      await system.queue.submit({ agentId: 'remote', input: { prompt: `job-${i}` } });
    const [a, b] = [worker(), worker()];
    await Promise.all([a.waitFor(/worker ready/), b.waitFor(/worker ready/)]);
    const counts = await waitUntilFinished(1000, 90_000);
    expect(counts).toMatchObject({ completed: 1000, failed: 0, pending: 0, running: 0 });
    expect(seen.size).toBe(1000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const { rows } = await system.db.query<{ n: number; tasks: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks FROM agent_executions`,
    );
    expect(rows[0]).toEqual({ n: 1000, tasks: 1000 });
    await system.db.query('DELETE FROM tasks');
  }, 120_000);

  it('finishes the tasks of a worker killed with SIGKILL on another worker once the lease expires', async () => {
    let firstRound = true;
    const held: Array<() => void> = [];
    handler = () => {
      if (firstRound) {
        // Hold the request open: the task is mid-run when its worker dies.
        return new Promise((resolve) => held.push(() => resolve(undefined)));
      }
      return { content: 'finished elsewhere' };
    };
    const tasks = [];
    for (let i = 0; i < 5; i++) {
      tasks.push((await system.queue.submit({ agentId: 'remote', input: { prompt: `crash-${i}` } })).task);
    }
    const doomed = worker({ TEST_LEASE_MS: '1000' });
    await doomed.waitFor(/worker ready/);
    const deadline = Date.now() + 10_000;
    while (held.length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(held.length).toBe(5);
    await doomed.stop('SIGKILL');
    firstRound = false;
    for (const release of held) release();
    const rescuer = worker({ TEST_LEASE_MS: '1000' });
    await rescuer.waitFor(/worker ready/);
    for (const task of tasks) {
      const done = await system.queue.waitForTask(task.taskId, 20_000);
      expect(done).toMatchObject({
        status: 'completed',
        retryCount: 1,
        output: { text: 'finished elsewhere' },
      });
      const executions = await system.queue.executions(task.taskId);
      expect(executions.map((e) => e.status)).toEqual(['failure', 'success']);
      expect(executions[0].errorMessage).toMatch(/lease expired/);
    }
  }, 60_000);

  it('lets `bsm worker` finish its running task on SIGTERM before it exits', async () => {
    handler = () => ({ content: 'drained', delayMs: 1_000 });
    const { task } = await system.queue.submit({ agentId: 'remote', input: { prompt: 'drain me' } });
    const child = spawnNode(BSM, ['worker'], { ...secrets, DATABASE_URL: database.url, LOG_LEVEL: 'info' });
    children.push(child);
    await child.waitFor(/worker running/);
    const deadline = Date.now() + 10_000;
    while ((await system.queue.get(task.taskId)).status !== 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const code = await child.stop('SIGTERM');
    expect(code).toBe(0);
    expect(await system.queue.get(task.taskId)).toMatchObject({
      status: 'completed',
      output: { text: 'drained' },
    });
  }, 30_000);
});
