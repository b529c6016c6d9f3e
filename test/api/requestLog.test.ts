/**
 * One log line per request, when it ends: at the default `info` level only refusals, failures and
 * slow requests are logged; `debug` shows every request (src/api/requestLog.ts).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RequestLogger, requestLogLevel, SLOW_REQUEST_MS } from '../../src/api/requestLog.js';
import { createLogger } from '../../src/logger.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

function sink() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

describe('the request log level', () => {
  it('is error for 5xx, warn when slow (not for streams), info for 4xx, debug otherwise', () => {
    expect(requestLogLevel(503, 5, false)).toBe('error');
    expect(requestLogLevel(200, SLOW_REQUEST_MS, false)).toBe('warn');
    expect(requestLogLevel(200, SLOW_REQUEST_MS * 60, true)).toBe('debug');
    expect(requestLogLevel(404, 5, false)).toBe('info');
    expect(requestLogLevel(401, 5, true)).toBe('info');
    expect(requestLogLevel(200, 5, false)).toBe('debug');
  });
});

describe('a request logger', () => {
  it('makes its child only when something logs through it, bound to the request id', () => {
    const out = sink();
    const parent = createLogger('info', out.stream);
    const child = vi.spyOn(parent, 'child');
    const log = new RequestLogger(parent, { reqId: 'r-1' }, {});
    expect(log.isLevelEnabled('info')).toBe(true);
    expect(log.isLevelEnabled('debug')).toBe(false);
    expect(log.level).toBe('info');
    log.debug('not written');
    expect(child).toHaveBeenCalledTimes(1); // a call made it, even though the level drops the line
    log.warn({ password: 'hunter2' }, 'written');
    expect(child).toHaveBeenCalledTimes(1);
    expect(out.lines).toEqual([expect.objectContaining({ level: 40, reqId: 'r-1', msg: 'written' })]);
    expect(JSON.stringify(out.lines)).not.toContain('hunter2');
  });

  it('follows a level of its own (a route log level) rather than the parent', () => {
    const parent = createLogger('info', sink().stream);
    const log = new RequestLogger(parent, { reqId: 'r-2' }, { level: 'error' });
    expect(log.isLevelEnabled('warn')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
    expect(log.level).toBe('error');
  });
});

describe.each(['info', 'debug'] as const)('request logging at LOG_LEVEL=%s', (level) => {
  let t: TestSystem;
  const out = sink();
  const logger = createLogger(level, out.stream);
  beforeAll(async () => {
    t = await createTestSystem('pglite', {}, { logger });
  });

  it(`makes a request's child logger only when it logs (${level})`, async () => {
    await t.inject('/api/agents'); // the admin's login and first use, outside the count
    const child = vi.spyOn(logger, 'child');
    try {
      expect((await t.inject('/api/agents')).statusCode).toBe(200);
      expect(child).toHaveBeenCalledTimes(level === 'debug' ? 1 : 0);
      expect((await t.app.inject({ method: 'GET', url: '/api/agents' })).statusCode).toBe(401);
      expect(child).toHaveBeenCalledTimes(level === 'debug' ? 2 : 1);
    } finally {
      child.mockRestore();
    }
  });
  afterAll(() => t?.close());

  it('writes one line per logged request, with its id, status and time, and never its credentials', async () => {
    out.lines.length = 0;
    const ok = await t.inject({ method: 'GET', url: '/api/agents', headers: { 'x-request-id': 'req-ok' } });
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/agents/nobody',
      headers: { 'x-request-id': 'req-401', authorization: 'Bearer not-a-token' },
    });
    expect(ok.statusCode).toBe(200);
    expect(missing.statusCode).toBe(401);
    await new Promise((r) => setTimeout(r, 20));
    const requests = out.lines.filter((l) => l.msg === 'request');
    const byId = (id: string) => requests.filter((l) => l.reqId === id);
    expect(byId('req-401')).toEqual([
      expect.objectContaining({ level: 30, method: 'GET', url: '/api/agents/nobody', statusCode: 401 }),
    ]);
    expect(typeof byId('req-401')[0].responseTimeMs).toBe('number');
    expect(byId('req-ok')).toHaveLength(level === 'debug' ? 1 : 0);
    // Fastify's own per-request lines are off.
    expect(out.lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed')).toBe(false);
    expect(JSON.stringify(out.lines)).not.toContain('not-a-token');
  });
});
