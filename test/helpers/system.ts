import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { SecurityHubOptions } from '../../src/security/hub.js';
import { createSystem, type System } from '../../src/system.js';
import { createTestDatabase, type DbTarget, quietLogger, testConfig } from './db.js';

export interface TestSystem {
  system: System;
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface TestSystemOptions {
  /** Default true: the app runs the security hub's guard. `false` only for tests about something else. */
  auth?: boolean;
  security?: SecurityHubOptions;
  logger?: System['logger'];
}

/** A whole System with its HTTP app over a fresh test database. */
export async function createTestSystem(
  target: DbTarget,
  env: Record<string, string> = {},
  options: TestSystemOptions = {},
): Promise<TestSystem> {
  const database = await createTestDatabase(target);
  const config = testConfig({ ...env, ...(database.url ? { DATABASE_URL: database.url } : {}) });
  const system = await createSystem(config, {
    logger: options.logger ?? quietLogger,
    db: database.db,
    security: options.security,
  });
  const app = await buildApp(system, options.auth === false ? { guard: false } : {});
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
