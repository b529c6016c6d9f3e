import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createSystem, type System } from '../../src/system.js';
import { adminInject, type Inject } from '../helpers/auth.js';
import { quietLogger, testConfig } from '../helpers/db.js';
import { type OwnPostgres, ownPostgresAvailable, startOwnPostgres } from '../helpers/ownPostgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(ownPostgresAvailable)('PostgreSQL restarting under a running API', () => {
  let pg: OwnPostgres;
  let system: System;
  let app: FastifyInstance;
  let inject: Inject;
  beforeAll(async () => {
    pg = await startOwnPostgres();
    system = await createSystem(testConfig({ DATABASE_URL: pg.url }), { logger: quietLogger });
    app = await buildApp(system);
    inject = adminInject(system, app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await system?.close();
    pg?.destroy();
  });

  it('answers 503 naming the database while it is down, then recovers without a restart and keeps the data', async () => {
    const created = await inject({
      method: 'POST',
      url: '/api/agents',
      payload: { agentId: 'survivor', name: 'S', role: 'r', modelProvider: 'echo' },
    });
    expect(created.statusCode).toBe(201);

    pg.stop();
    const ready = await inject('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error.message).toContain('database');
    const during = await inject('/api/agents/survivor');
    expect(during.statusCode).toBe(503);
    expect(during.json().error.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(during.json())).not.toMatch(/ECONNREFUSED|terminat|connection/i);

    pg.start();
    let back = 0;
    for (let i = 0; i < 50 && back !== 200; i++) {
      back = (await inject('/ready')).statusCode;
      if (back !== 200) await sleep(200);
    }
    expect(back).toBe(200);
    const after = await inject('/api/agents/survivor');
    expect(after.statusCode).toBe(200);
    expect(after.json().agentId).toBe('survivor');
  }, 60_000);
});
