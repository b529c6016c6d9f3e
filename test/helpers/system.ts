import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/api/app.js';
import { createSystem, type System, type SystemOptions } from '../../src/system.js';
import { adminInject, type Inject } from './auth.js';
import { createTestDatabase, type DbTarget, quietLogger, testConfig } from './db.js';

export interface TestSystem {
  system: System;
  app: FastifyInstance;
  /** `app.inject` as an admin (created on first use). */
  inject: Inject;
  close(): Promise<void>;
}

export interface TestSystemOptions extends Omit<SystemOptions, 'db' | 'logger'> {
  /** Default true: the app runs the security hub's guard. `false` only for tests about something else. */
  auth?: boolean;
  logger?: System['logger'];
  /** Options for buildApp (a test guard, extra plugins). */
  app?: AppOptions;
}

/** A whole System with its HTTP app over a fresh test database. */
export async function createTestSystem(
  target: DbTarget,
  env: Record<string, string> = {},
  options: TestSystemOptions = {},
): Promise<TestSystem> {
  const database = await createTestDatabase(target);
  const config = testConfig({ ...env, ...(database.url ? { DATABASE_URL: database.url } : {}) });
  const { auth, logger, app: appOptions, ...systemOptions } = options;
  const system = await createSystem(config, {
    ...systemOptions,
    logger: logger ?? quietLogger,
    db: database.db,
  });
  const app = await buildApp(system, { ...(auth === false ? { guard: false as const } : {}), ...appOptions });
  await app.ready();
  return {
    system,
    app,
    inject: adminInject(system, app),
    async close() {
      await app.close();
      await system.cache.flush(); // only this system's own prefix
      await system.close().catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
}
