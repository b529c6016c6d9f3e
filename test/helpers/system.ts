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
  options: { app?: AppOptions; system?: SystemOptions } = {},
): Promise<TestSystem> {
  const database = await createTestDatabase(target);
  const config = testConfig({ ...env, ...(database.url ? { DATABASE_URL: database.url } : {}) });
  const system = await createSystem(config, { logger: quietLogger, db: database.db, ...options.system });
  const app = await buildApp(system, options.app);
  await app.ready();
  return {
    system,
    app,
    async close() {
      await app.close();
      await system.close().catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
}
