import { randomBytes } from 'node:crypto';
/**
 * Two nodes (each a whole System with its own near-cache) over one database and one Redis: a
 * change made through one is seen through the other within a second.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import type { Db } from '../../src/db/db.js';
import { createPgDb } from '../../src/db/pg.js';
import { createSystem, type System } from '../../src/system.js';
import { createCaller, type Inject, injectAs } from '../helpers/auth.js';
import {
  createTestDatabase,
  dbTargets,
  quietLogger,
  type TestDatabase,
  testConfig,
  testRedisPrefix,
} from '../helpers/db.js';
import { until, useTestRedis } from '../helpers/redisServer.js';

// CI's Redis when configured, else one of our own: these suites always run on a real Redis.
const redisUrl = await useTestRedis();

interface Node {
  system: System;
  app: FastifyInstance;
  db: Db;
  inject: Inject;
}

// One deployment: every node shares the secrets, so a token minted on one is valid on the other.
const SHARED_SECRETS = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  ENCRYPTION_KEY: randomBytes(32).toString('hex'),
};

describe.runIf(redisUrl).each(dbTargets)('two nodes sharing %s and Redis', (target) => {
  let database: TestDatabase;
  const nodes: Node[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(target);
    const prefix = testRedisPrefix(); // one deployment: both nodes share the prefix
    for (let i = 0; i < 2; i++) {
      // PGlite is one in-process database: both nodes use the instance; pg nodes get their own pools.
      const db = i === 0 || !database.url ? database.db : createPgDb(database.url, 5, quietLogger);
      const config = testConfig({ REDIS_URL: redisUrl!, BSM_REDIS_PREFIX: prefix, ...SHARED_SECRETS });
      const system = await createSystem(config, { logger: quietLogger, db, migrate: i === 0 });
      const app = await buildApp(system);
      await app.ready();
      nodes.push({ system, app, db, inject: app.inject.bind(app) as Inject });
    }
    const admin = await createCaller(nodes[0].system, 'admin');
    for (const node of nodes) node.inject = injectAs(node.app, admin);
  });
  afterAll(async () => {
    await nodes[0]?.system.cache.flush();
    for (const node of nodes.reverse()) {
      await node.app.close();
      await node.system.close().catch(() => undefined);
    }
    await database?.drop().catch(() => undefined);
  });

  const get = (node: Node, agentId: string) => node.inject(`/api/agents/${agentId}`);

  it('shows an update made through node A on node B within one second', async () => {
    const [a, b] = nodes;
    const created = await a.inject({
      method: 'POST',
      url: '/api/agents',
      payload: { agentId: 'shared-agent', name: 'before', role: 'r', modelProvider: 'echo' },
    });
    expect(created.statusCode).toBe(201);
    await b.inject('/api/agents');
    // B ends up answering from its own memory (A's create message may first drop an early copy).
    const localHits = b.system.cache.metrics().localHits;
    await until(async () => {
      expect((await get(b, 'shared-agent')).json().name).toBe('before');
      return b.system.cache.metrics().localHits > localHits;
    }, 1_000);

    const patched = await a.inject({
      method: 'PATCH',
      url: '/api/agents/shared-agent',
      payload: { name: 'after' },
    });
    expect(patched.statusCode).toBe(200);
    await until(async () => (await get(b, 'shared-agent')).json().version === 2, 1_000);
    expect((await get(b, 'shared-agent')).json().name).toBe('after');
    await until(async () => (await b.inject('/api/agents')).json().items[0]?.name === 'after', 1_000);
  });

  it('shows a delete made through node B on node A within one second', async () => {
    const [a, b] = nodes;
    expect((await get(a, 'shared-agent')).statusCode).toBe(200);
    expect((await get(a, 'shared-agent')).statusCode).toBe(200);
    expect((await b.inject({ method: 'DELETE', url: '/api/agents/shared-agent' })).statusCode).toBe(204);
    await until(async () => (await get(a, 'shared-agent')).statusCode === 404, 1_000);
    await until(async () => (await a.inject('/api/agents')).json().total === 0, 1_000);
  });
});
