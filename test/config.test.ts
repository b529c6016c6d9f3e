import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('gives the SPEC defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      redisUrl: undefined,
      dbMaxConnections: 20,
      maxConcurrentTasks: 10,
      pollIntervalMs: 1000,
      worker: true,
      allowSignup: false,
      logLevel: 'info',
      redisPrefix: 'bsm:',
      rateLimit: { perMinute: 600, loginPerMinute: 10 },
    });
    expect(c.dataDir.endsWith('.bsm')).toBe(true);
  });

  it('builds a connection string from the seed DB_* variables', () => {
    const c = loadConfig({
      DB_HOST: 'db',
      DB_NAME: 'bsm',
      DB_USER: 'u',
      DB_PASSWORD: 'p@ss',
      DB_PORT: '6543',
    });
    expect(c.databaseUrl).toBe('postgres://u:p%40ss@db:6543/bsm');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['REDIS_URL', 'http://x'],
    ['BSM_ALLOW_SIGNUP', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['ENCRYPTION_KEY', 'abc'],
    ['BSM_MAX_CONCURRENT_TASKS', '0'],
    ['BSM_RATE_LIMIT_PER_MINUTE', '-1'],
    ['BSM_LOGIN_RATE_LIMIT_PER_MINUTE', 'ten'],
  ])('stops on a bad %s with one line naming it', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message.startsWith(`${name}: `)).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });
});
