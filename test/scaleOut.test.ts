/**
 * The scale-out recipe of the README, for real: one `bsm serve --no-worker` takes 5,000 tasks over
 * HTTP, two `bsm worker` processes run them; none is lost or run twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, serverDatabaseUrl, serverRedisUrl } from './helpers/db.js';
import { BSM, type Child, deploymentEnv, login, spawnNode, startApi } from './helpers/processes.js';
import { connectSse } from './helpers/sse.js';

const TASKS = 5_000;

// Scale-out means one PostgreSQL and one Redis shared by every process (the README's recipe).
describe.runIf(serverDatabaseUrl && serverRedisUrl)(
  'scale-out: bsm serve --no-worker plus two bsm worker processes',
  () => {
    let database: Awaited<ReturnType<typeof createServerDatabase>>;
    const children: Child[] = [];
    let base = '';
    let token = '';
    const ADMIN_PASSWORD = 'scale-out-Admin-pass-1';

    beforeAll(async () => {
      database = await createServerDatabase();
      const env = {
        ...deploymentEnv(database.url, ADMIN_PASSWORD),
        BSM_MAX_CONCURRENT_TASKS: '20',
        BSM_POLL_INTERVAL_MS: '200',
        // One client submitting 5,000 tasks as fast as it can: not what the rate limiter is for.
        BSM_RATE_LIMIT_PER_MINUTE: '0',
      };
      const api = await startApi(['--no-worker'], env);
      children.push(api.child);
      base = api.base;
      token = await login(base, 'admin', ADMIN_PASSWORD);
      for (let i = 0; i < 2; i++) {
        const w = spawnNode(BSM, ['worker'], { ...env, LOG_LEVEL: 'info' });
        children.push(w);
        await w.waitFor(/worker running/);
      }
    }, 60_000);
    afterAll(async () => {
      for (const child of children) await child.stop('SIGTERM');
      await database?.drop();
    }, 60_000);

    // biome-ignore lint/suspicious/noExplicitAny: JSON answers of our own API, checked by the assertions.
    const json = async (res: Response): Promise<any> => res.json();
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });

    it('completes 5,000 tasks submitted over HTTP, none lost or duplicated', async () => {
      const agent = await call('POST', '/api/agents', {
        agentId: 'echo',
        name: 'Echo',
        role: 'r',
        modelProvider: 'echo',
      });
      expect(agent.status).toBe(201);
      const status = await json(await call('GET', '/api/engine/status'));
      expect(status.components.find((c: { name: string }) => c.name === 'taskQueue').worker).toBe(false);

      // Every completion happens in a worker process; the API process's stream must show each one.
      const stream = connectSse(`${base}/api/events?types=task:completed`, {
        authorization: `Bearer ${token}`,
      });
      expect(await stream.status).toBe(200);

      let next = 0;
      const submitOne = async () => {
        while (next < TASKS) {
          const i = next++;
          const res = await call('POST', '/api/tasks', {
            agentId: 'echo',
            input: { prompt: `n${i}` },
            taskId: `t-${i}`,
          });
          expect(res.status).toBe(202);
        }
      };
      await Promise.all(Array.from({ length: 16 }, submitOne));

      const deadline = Date.now() + 90_000;
      let completed = 0;
      while (Date.now() < deadline) {
        completed = (await json(await call('GET', '/api/tasks?status=completed&limit=1'))).total;
        if (completed >= TASKS) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(completed).toBe(TASKS);
      const all = await json(await call('GET', '/api/tasks?limit=1'));
      expect(all.total).toBe(TASKS);
      // One execution per task: nothing ran twice.
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client
        .query('SELECT count(*)::int AS n, count(DISTINCT task_id)::int AS tasks FROM agent_executions')
        .finally(() => client.end());
      expect(rows[0]).toMatchObject({ n: TASKS, tasks: TASKS });
      await stream.waitFor(TASKS, 30_000);
      const seen = new Set(stream.events.map((e) => JSON.parse(e.data).taskId));
      expect(seen.size).toBe(TASKS);
      stream.close();
    }, 150_000);
  },
);
