/** A workflow's run history (`GET /api/workflows/:workflowId/runs`): newest first, own runs for a user. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('workflow run list on %s', (target) => {
  let t: TestSystem;
  let alice: TestCaller;
  let bob: TestCaller;
  let vera: TestCaller;
  beforeAll(async () => {
    t = await createTestSystem(target);
    [alice, bob, vera] = await Promise.all([
      createCaller(t.system, 'user'),
      createCaller(t.system, 'user'),
      createCaller(t.system, 'viewer'),
    ]);
    await t.system.agents.create({ agentId: 'echo-w', name: 'Echo', role: 'echo', modelProvider: 'echo' });
    const created = await t.inject({
      method: 'POST',
      url: '/api/workflows',
      payload: {
        workflowId: 'pair',
        name: 'Pair',
        definition: { steps: [{ id: 'a', agentId: 'echo-w', input: { prompt: 'x' } }] },
      },
    });
    expect(created.statusCode).toBe(201);
  });
  afterAll(() => t?.close());

  const start = async (caller: TestCaller) => {
    const res = await injectAs(
      t.app,
      caller,
    )({ method: 'POST', url: '/api/workflows/pair/runs', payload: {} });
    expect(res.statusCode).toBe(202);
    return res.json().runId as string;
  };

  it('lists runs newest first; a user sees only their own, a viewer all', async () => {
    const first = await start(alice);
    const second = await start(alice);
    const bobs = await start(bob);
    const mine = (await injectAs(t.app, alice)('/api/workflows/pair/runs')).json();
    expect(mine.total).toBe(2);
    expect(mine.items.map((r: { runId: string }) => r.runId)).toEqual([second, first]);
    expect(mine.items[0]).toMatchObject({ workflowId: 'pair', status: 'running', createdBy: alice.user.id });
    expect(mine.items[0].steps).toBeUndefined();
    const all = (await injectAs(t.app, vera)('/api/workflows/pair/runs?limit=2')).json();
    expect(all).toMatchObject({ total: 3, limit: 2 });
    expect(all.items[0].runId).toBe(bobs);
  });

  it('answers 404 for an unknown workflow and 400 for an unknown query field', async () => {
    expect((await injectAs(t.app, alice)('/api/workflows/nope/runs')).statusCode).toBe(404);
    expect((await injectAs(t.app, alice)('/api/workflows/pair/runs?x=1')).statusCode).toBe(400);
  });
});
