import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs, type TestCaller } from '../helpers/auth.js';
import { startChatServer } from '../helpers/chatServer.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** The chat server reports 1000 input and 500 output tokens per call. */
const USAGE = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };
/** At 2 USD / 10 USD per million tokens: 0.002 + 0.005. */
const CALL_COST = 0.007;

interface TaskJson {
  taskId: string;
  status: string;
  error: string | null;
  retryCount: number;
}

describe.each(dbTargets)('usage, cost and budgets over HTTP on %s', (target) => {
  let t: TestSystem;
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  let alice: TestCaller;
  let bob: TestCaller;
  let vera: TestCaller;
  const as = (caller: TestCaller): Inject => injectAs(t.app, caller);

  beforeAll(async () => {
    chat = await startChatServer(() => ({ content: 'priced answer', usage: USAGE }));
    t = await createTestSystem(
      target,
      {
        BSM_POLL_INTERVAL_MS: '50',
        ...(target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {}),
      },
      { queue: { backoff: { delayMs: () => 10 } } },
    );
    alice = await createCaller(t.system, 'user');
    bob = await createCaller(t.system, 'user');
    vera = await createCaller(t.system, 'viewer');
    // The deployed version prices the agent, though a newer undeployed one has other prices.
    for (const [modelId, price] of [
      ['priced-v1', 2],
      ['priced-v2', 100],
    ] as const) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/models',
        payload: {
          modelId,
          name: 'priced-model',
          type: 'llm',
          version: modelId.slice(-2),
          parameters: { inputPricePerMTok: price, outputPricePerMTok: price * 5 },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().parameters.inputPricePerMTok).toBe(price);
    }
    expect((await t.inject({ method: 'POST', url: '/api/models/priced-v1/deploy' })).statusCode).toBe(200);
    const agent = (agentId: string, config: Record<string, unknown> = {}) => ({
      agentId,
      name: agentId,
      role: 'answers',
      modelProvider: 'openai',
      modelName: 'priced-model',
      config: { baseUrl: chat.url, keyless: true, ...config },
    });
    for (const body of [
      agent('priced'),
      agent('capped', { budget: { usdPerDay: 0.01 } }),
      { agentId: 'echo-free', name: 'Echo', role: 'echoes', modelProvider: 'echo' },
    ]) {
      const res = await t.inject({ method: 'POST', url: '/api/agents', payload: body });
      expect(res.statusCode, res.body).toBe(201);
    }
    await t.system.queue.start();
  });
  afterAll(async () => {
    await t?.close();
    await chat?.close();
  });

  async function run(caller: TestCaller, agentId: string, prompt = 'how much is this'): Promise<TaskJson> {
    const res = await as(caller)({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId, input: { prompt }, maxRetries: 3 },
    });
    expect(res.statusCode, res.body).toBe(202);
    const done = await as(caller)(`/api/tasks/${res.json().taskId}?wait=20`);
    return done.json();
  }

  it('records input and output tokens and the cost at the deployed model price on each execution', async () => {
    const task = await run(alice, 'priced');
    expect(task.status).toBe('completed');
    const executions = (await as(alice)(`/api/tasks/${task.taskId}/executions`)).json().items;
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ inputTokens: 1000, outputTokens: 500 });
    expect(executions[0].costUsd).toBeCloseTo(CALL_COST, 9);
  });

  it('counts echo tokens (words) and prices an agent without a priced model at 0', async () => {
    const task = await run(alice, 'echo-free', 'three little words');
    const [execution] = (await as(alice)(`/api/tasks/${task.taskId}/executions`)).json().items;
    expect(execution).toMatchObject({ inputTokens: 3, outputTokens: 3, costUsd: 0 });
  });

  it('sums usage by agent, user, model and day; a user sees only their own, a viewer everything', async () => {
    await run(bob, 'priced');
    const mine = (await as(alice)('/api/usage?groupBy=agent')).json();
    expect(mine.items).toEqual([
      { key: 'echo-free', tasks: 1, inputTokens: 3, outputTokens: 3, costUsd: 0 },
      {
        key: 'priced',
        tasks: 1,
        inputTokens: 1000,
        outputTokens: 500,
        costUsd: expect.closeTo(CALL_COST, 9),
      },
    ]);
    expect(new Date(mine.to).getTime()).toBeGreaterThan(new Date(mine.from).getTime());

    const byUser = (await as(vera)('/api/usage?groupBy=user')).json().items;
    expect(byUser.map((i: { key: string }) => i.key).sort()).toEqual(
      [alice.user.username, bob.user.username].sort(),
    );
    const byModel = (await as(vera)('/api/usage?groupBy=model')).json().items;
    const priced = byModel.find((i: { key: string }) => i.key === 'priced-model');
    expect(priced).toMatchObject({ tasks: 2, inputTokens: 2000, outputTokens: 1000 });
    expect(priced.costUsd).toBeCloseTo(2 * CALL_COST, 9);
    const byDay = (await as(bob)('/api/usage?groupBy=day')).json().items;
    expect(byDay).toEqual([
      expect.objectContaining({ key: new Date().toISOString().slice(0, 10), tasks: 1, inputTokens: 1000 }),
    ]);
  });

  it('limits the range to [from, to) and refuses bad parameters with 400', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const muchLater = new Date(Date.now() + 7_200_000).toISOString();
    const empty = (await as(vera)(`/api/usage?groupBy=agent&from=${later}&to=${muchLater}`)).json();
    expect(empty).toEqual({ items: [], from: later, to: muchLater });
    const before = (await as(vera)('/api/usage?groupBy=agent&to=2020-01-01T00:00:00Z')).json();
    expect(before.items).toEqual([]);
    for (const query of ['groupBy=planet', 'from=yesterday', `from=${later}&to=2020-01-01T00:00:00Z`]) {
      const res = await as(vera)(`/api/usage?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code).toBeTruthy();
    }
  });

  it('fails a task of an agent whose daily budget is spent with BUDGET_EXCEEDED, without a model call or retry', async () => {
    // 0.007 + 0.007 passes the 0.01 budget: the check is "spent >= budget" before each start.
    expect((await run(alice, 'capped')).status).toBe('completed');
    expect((await run(alice, 'capped')).status).toBe('completed');
    const calls = chat.requests.length;
    const refused = await run(alice, 'capped');
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/^BUDGET_EXCEEDED/);
    expect(refused.retryCount).toBe(0);
    expect(chat.requests.length).toBe(calls);
  });

  it('refuses an agent budget that is not {usdPerDay: number >= 0} with 400', async () => {
    for (const budget of [{ usdPerDay: -1 }, { usdPerDay: '5' }, 5]) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/agents',
        payload: { agentId: 'bad-budget', name: 'B', role: 'r', modelProvider: 'echo', config: { budget } },
      });
      expect(res.statusCode, JSON.stringify(budget)).toBe(400);
      expect(res.json().error.details.field).toBe('config.budget');
    }
  });

  it('enforces a per-user budget set with PATCH /api/users/:id, audited, for that user only', async () => {
    const patch = await t.inject({
      method: 'PATCH',
      url: `/api/users/${bob.user.id}`,
      payload: { budgetUsdPerDay: 0.005 },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    expect(patch.json().budgetUsdPerDay).toBe(0.005);
    expect(
      (await as(bob)({ method: 'PATCH', url: `/api/users/${bob.user.id}`, payload: { budgetUsdPerDay: 9 } }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await t.inject({
          method: 'PATCH',
          url: `/api/users/${bob.user.id}`,
          payload: { budgetUsdPerDay: -1 },
        })
      ).statusCode,
    ).toBe(400);

    const calls = chat.requests.length;
    const refused = await run(bob, 'priced'); // bob already spent 0.007 today
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/^BUDGET_EXCEEDED/);
    expect(chat.requests.length).toBe(calls);
    expect((await run(alice, 'priced')).status).toBe('completed');

    const audit = await t.system.db.query<{ details: { fields: string[] } }>(
      `SELECT details FROM audit_logs WHERE action = 'user.update' AND resource_id = $1`,
      [bob.user.id],
    );
    expect(audit.rows.some((r) => r.details.fields.includes('budgetUsdPerDay'))).toBe(true);

    await t.inject({ method: 'PATCH', url: `/api/users/${bob.user.id}`, payload: { budgetUsdPerDay: null } });
    expect((await run(bob, 'priced')).status).toBe('completed');
  });

  it('prices a thread turn the same way: tokens and cost on its execution', async () => {
    const thread = await as(alice)({ method: 'POST', url: '/api/threads', payload: { agentId: 'priced' } });
    expect(thread.statusCode, thread.body).toBe(201);
    const sent = await as(alice)({
      method: 'POST',
      url: `/api/threads/${thread.json().threadId}/messages`,
      payload: { content: 'how much is this turn' },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const { taskId } = sent.json();
    const done = (await as(alice)(`/api/tasks/${taskId}?wait=20`)).json();
    expect(done.status).toBe('completed');
    const executions = (await as(alice)(`/api/tasks/${taskId}/executions`)).json().items;
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ inputTokens: 1000, outputTokens: 500 });
    expect(executions[0].costUsd).toBeCloseTo(CALL_COST, 9);
  });

  it("keeps each user's spending today in one row, equal to the sum of their priced executions", async () => {
    for (const caller of [alice, bob]) {
      const { rows } = await t.system.db.query<{ kept: number; summed: number }>(
        `SELECT (SELECT cost_usd FROM usage_user_daily WHERE user_id = $1 AND day = CAST(LOCALTIMESTAMP AS DATE)) AS kept,
                (SELECT SUM(e.cost_usd) FROM agent_executions e JOIN tasks t ON t.id = e.task_id
                  WHERE t.created_by = $1 AND e.created_at >= date_trunc('day', LOCALTIMESTAMP)) AS summed`,
        [caller.user.id],
      );
      expect(rows[0].summed).toBeGreaterThan(0);
      expect(rows[0].kept).toBeCloseTo(rows[0].summed, 9);
    }
  });
});
