/**
 * Issue 6, "Done when": killing the worker mid-run still completes the run after restart. The API
 * runs in this process (a System that runs no tasks); the steps run in worker processes. The
 * first worker is killed with SIGKILL while the middle step waits for its model; a new worker
 * takes the step over once its lease expires, and the run finishes. Real PostgreSQL, built `dist/`.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createSystem, type System } from '../../src/system.js';
import { adminInject, type Inject } from '../helpers/auth.js';
import { type ChatHandler, startChatServer } from '../helpers/chatServer.js';
import { createServerDatabase, quietLogger, serverDatabaseUrl, testConfig } from '../helpers/db.js';
import { type Child, clusterSecrets, spawnNode, TEST_WORKER } from '../helpers/processes.js';

describe.runIf(serverDatabaseUrl)('a workflow run survives its worker being killed', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let system: System;
  let app: FastifyInstance;
  let inject: Inject;
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  let handler: ChatHandler = () => ({ content: 'unused' });
  const children: Child[] = [];
  const secrets = clusterSecrets();

  // TEST_LEASE_MS: a killed worker's lease expires after a second instead of 30.
  const worker = async () => {
    const child = spawnNode(TEST_WORKER, [], {
      ...secrets,
      DATABASE_URL: database.url,
      BSM_POLL_INTERVAL_MS: '100',
      TEST_LEASE_MS: '1000',
    });
    children.push(child);
    await child.waitFor(/worker ready/);
    return child;
  };

  beforeAll(async () => {
    database = await createServerDatabase();
    chat = await startChatServer((...args) => handler(...args));
    system = await createSystem(testConfig({ ...secrets, DATABASE_URL: database.url }), {
      logger: quietLogger,
      worker: false,
    });
    app = await buildApp(system);
    await app.ready();
    inject = adminInject(system, app);
    for (const agent of [
      { agentId: 'echo', name: 'Echo', role: 'echoes', modelProvider: 'echo' },
      {
        agentId: 'thinker',
        name: 'Thinker',
        role: 'r',
        modelProvider: 'openai',
        config: { baseUrl: chat.url, keyless: true },
      },
    ]) {
      expect((await inject({ method: 'POST', url: '/api/agents', payload: agent })).statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    for (const child of children) await child.stop('SIGKILL');
    await app?.close();
    await system?.close();
    await chat?.close();
    await database?.drop();
  });

  it('completes the run on a new worker after the first one is killed mid-step', async () => {
    const held: Array<() => void> = [];
    // First attempt: the model never answers, so the step is mid-run when its worker dies.
    handler = () => new Promise((resolve) => held.push(() => resolve(undefined)));
    const created = await inject({
      method: 'POST',
      url: '/api/workflows',
      payload: {
        workflowId: 'pipeline',
        name: 'Pipeline',
        definition: {
          steps: [
            { id: 'fetch', agentId: 'echo', input: { prompt: 'data for {{input.topic}}' } },
            {
              id: 'think',
              agentId: 'thinker',
              dependsOn: ['fetch'],
              input: { prompt: 'think about {{steps.fetch.output.text}}' },
            },
            {
              id: 'report',
              agentId: 'echo',
              dependsOn: ['think'],
              input: { prompt: 'report: {{steps.think.output.text}}' },
            },
          ],
        },
      },
    });
    expect(created.statusCode).toBe(201);
    const doomed = await worker();
    const started = await inject({
      method: 'POST',
      url: '/api/workflows/pipeline/runs',
      payload: { input: { topic: 'tides' } },
    });
    expect(started.statusCode).toBe(202);
    const runId = started.json().runId as string;
    const run = async () => (await inject(`/api/workflow-runs/${runId}`)).json();

    const deadline = Date.now() + 20_000;
    while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(held).toHaveLength(1);
    expect((await run()).steps.map((s: { status: string }) => s.status)).toEqual([
      'completed',
      'running',
      'pending',
    ]);

    await doomed.stop('SIGKILL');
    handler = (body) => ({ content: `thought (${body.messages.at(-1)?.content})` });
    for (const release of held) release();
    await worker();

    let finished = await run();
    const until = Date.now() + 30_000;
    while (finished.status === 'running' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      finished = await run();
    }
    expect(finished.status).toBe('completed');
    const step = Object.fromEntries(finished.steps.map((s: { stepId: string }) => [s.stepId, s]));
    expect(step.think.output.text).toBe('thought (think about data for tides)');
    expect(step.report.output.text).toBe('report: thought (think about data for tides)');
    // The step's task ran twice: the attempt lost with the killed worker, then the new worker's.
    const executions = (await inject(`/api/tasks/${step.think.taskId}/executions`)).json();
    expect(executions.items.map((e: { status: string }) => e.status)).toEqual(['failure', 'success']);
    expect(executions.items[0].errorMessage).toMatch(/lease expired/);
  }, 60_000);
});
