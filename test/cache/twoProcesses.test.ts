/**
 * Issue 3's scenario with real processes: two `bsm serve` over one PostgreSQL and one Redis. Each
 * keeps its own in-memory copy of what it read; an update through one is read fresh through the
 * other within a second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, serverDatabaseUrl, serverRedisUrl } from '../helpers/db.js';
import { type Child, deploymentEnv, login, startApi } from '../helpers/processes.js';

const ADMIN_PASSWORD = 'two-Process-admin-9';

describe.runIf(serverDatabaseUrl && serverRedisUrl)('two API processes sharing PostgreSQL and Redis', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  const nodes: Array<{ child: Child; base: string }> = [];
  let token = '';

  beforeAll(async () => {
    database = await createServerDatabase();
    const env = { ...deploymentEnv(database.url, ADMIN_PASSWORD), BSM_WORKER: 'false' };
    for (let i = 0; i < 2; i++) nodes.push(await startApi([], env));
    token = await login(nodes[0].base, 'admin', ADMIN_PASSWORD);
  }, 90_000);
  afterAll(async () => {
    for (const { child } of nodes) await child.stop('SIGTERM');
    await database?.drop();
  }, 60_000);

  const call = (node: number, method: string, path: string, body?: unknown) =>
    fetch(`${nodes[node].base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const nameOn = async (node: number) =>
    ((await (await call(node, 'GET', '/api/agents/shared')).json()) as { name: string }).name;

  it('reads an agent updated through one process fresh through the other within one second', async () => {
    expect(
      (
        await call(0, 'POST', '/api/agents', {
          agentId: 'shared',
          name: 'v1',
          role: 'r',
          modelProvider: 'echo',
        })
      ).status,
    ).toBe(201);
    // Both processes now hold v1 in their caches.
    expect(await nameOn(1)).toBe('v1');
    expect(await nameOn(1)).toBe('v1');
    expect(await nameOn(0)).toBe('v1');

    expect((await call(0, 'PATCH', '/api/agents/shared', { name: 'v2' })).status).toBe(200);
    const changedAt = Date.now();
    let seen = await nameOn(1);
    while (seen !== 'v2' && Date.now() - changedAt < 1_000) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await nameOn(1);
    }
    expect(seen).toBe('v2');
    expect(Date.now() - changedAt).toBeLessThan(1_000);

    expect((await call(1, 'DELETE', '/api/agents/shared')).status).toBe(204);
    const deletedAt = Date.now();
    let status = (await call(0, 'GET', '/api/agents/shared')).status;
    while (status !== 404 && Date.now() - deletedAt < 1_000) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await call(0, 'GET', '/api/agents/shared')).status;
    }
    expect(status).toBe(404);
  }, 60_000);
});
