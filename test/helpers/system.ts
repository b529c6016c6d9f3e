import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/api/app.js';
import { createSystem, type System, type SystemOptions } from '../../src/system.js';
import { createTestDatabase, type DbTarget, quietLogger, testConfig } from './db.js';

export interface TestSystem {
  system: System;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A whole System with its HTTP app over a fresh test database. */
export async function createTestSystem(
  target: DbTarget,
  env: Record<string, string> = {},
  options: Omit<SystemOptions, 'db' | 'logger'> & { app?: AppOptions } = {},
): Promise<TestSystem> {
  const database = await createTestDatabase(target);
  const config = testConfig({ ...env, ...(database.url ? { DATABASE_URL: database.url } : {}) });
  const { app: appOptions, ...systemOptions } = options;
  const system = await createSystem(config, { ...systemOptions, logger: quietLogger, db: database.db });
  const app = await buildApp(system, appOptions);
  await app.ready();
  return {
    system,
    app,
    async close() {
      await app.close();
      await system.cache.flush(); // only this system's own prefix
      await system.close().catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
}
