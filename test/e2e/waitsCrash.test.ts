/**
 * Issue 10, "Done when": a waiting parent survives a kill -9 of its worker. The parent parks
 * while its child runs; the worker process that ran both dies; another worker takes the child
 * back (lease expiry), finishes it, and the child's end resumes the parent there — from its
 * checkpoint in PostgreSQL: the model requests prove the parent's first turn was asked only once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, type System } from '../../src/system.js';
import { type ChatHandler, startChatServer } from '../helpers/chatServer.js';
import { createServerDatabase, quietLogger, serverDatabaseUrl, testConfig } from '../helpers/db.js';
import { type Child, clusterSecrets, spawnNode, TEST_WORKER } from '../helpers/processes.js';
import { lastUserText } from './harness.js';

describe.runIf(serverDatabaseUrl)('a waiting parent across a worker kill -9', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let system: System;
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  let handler: ChatHandler = () => ({ content: 'ok' });
  const children: Child[] = [];
  // The test's own System and the worker processes are nodes of one cluster: same keys.
  const secrets = clusterSecrets();

  const worker = () => {
    const child = spawnNode(TEST_WORKER, [], {
      DATABASE_URL: database.url,
      ...secrets,
      BSM_POLL_INTERVAL_MS: '100',
      TEST_LEASE_MS: '1000',
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    database = await createServerDatabase();
    chat = await startChatServer((...args) => handler(...args));
    system = await createSystem(testConfig({ DATABASE_URL: database.url, ...secrets }), {
      logger: quietLogger,
    });
    const config = { baseUrl: chat.url, keyless: true };
    await system.agents.create({
      agentId: 'boss',
      name: 'Boss',
      role: 'You delegate.',
      modelProvider: 'openai',
      modelName: 'boss',
      actions: ['agent.delegate'],
      config,
    });
    await system.agents.create({
      agentId: 'helper',
      name: 'Helper',
      role: 'You help.',
      modelProvider: 'openai',
      modelName: 'helper',
      config,
    });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop('SIGKILL');
  });
  afterAll(async () => {
    await system?.close();
    await chat?.close();
    await database?.drop();
  });

  it('resumes the parent on another worker without asking its finished turn again', async () => {
    const held: Array<() => void> = [];
    let holdHelper = true;
    handler = (body) => {
      if (body.model === 'helper') {
        if (holdHelper) return new Promise((resolve) => held.push(() => resolve(undefined)));
        return { content: `helped with ${lastUserText(body)}` };
      }
      const tool = body.messages.find((m) => m.role === 'tool');
      if (tool) return { content: `boss got: ${tool.content}` };
      return {
        toolCalls: [
          {
            id: 'd0',
            name: 'agent.delegate',
            arguments: JSON.stringify({ agentId: 'helper', prompt: 'the job' }),
          },
        ],
      };
    };
    const doomed = worker();
    await doomed.waitFor(/worker ready/);
    const { task: parent } = await system.queue.submit({
      agentId: 'boss',
      input: { prompt: 'start' },
      maxRetries: 0,
    });
    const deadline = Date.now() + 20_000;
    while (
      ((await system.queue.get(parent.taskId)).status !== 'waiting' || held.length === 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await system.queue.get(parent.taskId)).status).toBe('waiting');
    expect(held).toHaveLength(1);

    await doomed.stop('SIGKILL');
    holdHelper = false;
    for (const release of held) release();
    // The parent waits in the database alone: no process holds it.
    expect((await system.queue.get(parent.taskId)).status).toBe('waiting');

    const rescuer = worker();
    await rescuer.waitFor(/worker ready/);
    const done = await system.queue.waitForTask(parent.taskId, 30_000);
    expect(done.status, done.error ?? '').toBe('completed');
    expect((done.output as { text: string }).text).toContain('helped with the job');
    const bossTurns = chat.requests.filter((r) => r.model === 'boss');
    expect(bossTurns).toHaveLength(2);
    expect(bossTurns.filter((r) => !r.messages.some((m) => m.role === 'tool'))).toHaveLength(1);
    // The child died with the first worker and ran again on the second.
    const [child] = (await system.queue.list({ agentId: 'helper' })).items;
    const attempts = await system.queue.executions(child.taskId);
    expect(attempts.map((e) => e.status)).toEqual(['failure', 'success']);
  }, 60_000);
});
