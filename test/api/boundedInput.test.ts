/**
 * SPEC §10 "bounded input work", over real HTTP: while the worst bodies the limits allow are being
 * answered — an unauthenticated 1 MiB body to an unknown route, a `user`'s 200 000-character
 * prompts — a concurrent GET /health keeps answering promptly. Before the patterns were made
 * linear, one such request held the event loop for 6–90 s.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type TestCaller } from '../helpers/auth.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** Generous for a loaded machine; the stalls this guards against were seconds long. */
const HEALTH_BOUND_MS = 1_000;
const BODY_LIMIT = 1_048_576;

/** Each run is kept just under the old 100 000-character scan cap, so the old code scanned it. */
const WORST_RUNS = ['<', '\n', "' or '", ' ', '=', '"', "'", '<a on', '\n##'];

function worstUnknownRouteBody(): string {
  const fields: Record<string, string> = {};
  let size = 2;
  for (let i = 0; size < BODY_LIMIT - 120_000; i++) {
    const unit = WORST_RUNS[i % WORST_RUNS.length];
    const value = unit.repeat(Math.floor(99_000 / unit.length));
    fields[`f${i}`] = value;
    size += JSON.stringify(value).length + 8;
  }
  return JSON.stringify(fields);
}

/** Polls /health while `work` runs; answers the slowest /health latency seen. */
async function slowestHealthDuring(base: string, work: Promise<unknown>): Promise<number> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  let slowest = 0;
  // Give the big request a head start, then keep asking until it is answered (and once after).
  await new Promise((r) => setTimeout(r, 20));
  do {
    const started = performance.now();
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  } while (!done);
  await finished;
  return slowest;
}

describe.each(dbTargets)('bounded input work on %s', (target) => {
  let t: TestSystem;
  let base: string;
  let user: TestCaller;
  beforeAll(async () => {
    const redis: Record<string, string> =
      target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {};
    t = await createTestSystem(target, redis);
    user = await createCaller(t.system, 'user');
    await t.system.agents.create({
      agentId: 'echo-big',
      name: 'Echo',
      role: 'echoes',
      modelProvider: 'echo',
    });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(() => t?.close(), 120_000);

  it('answers an unauthenticated 1 MiB worst-case body to an unknown route without stalling /health', async () => {
    const body = worstUnknownRouteBody();
    expect(body.length).toBeGreaterThan(900_000);
    expect(body.length).toBeLessThan(BODY_LIMIT);
    const big = fetch(`${base}/api/no-such-route-${randomBytes(3).toString('hex')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const slowest = await slowestHealthDuring(base, big);
    const res = await big;
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
    // Unknown routes' bodies are never scanned: no injection threat recorded.
    const threats = await t.system.repos.securityThreats.list({});
    expect(threats.items.filter((x) => x.type !== 'rate_anomaly')).toEqual([]);
  });

  it.each([
    ['newlines', '\n'],
    ['angle brackets', '<'],
    ['quote-or runs', "' or '"],
    ['spaces', ' '],
    ['indented fake turns', '\n  ## '],
  ])(
    "keeps /health prompt while a user's 200 000-character prompt of %s is submitted",
    async (_name, unit) => {
      const prompt = unit.repeat(Math.ceil(200_000 / unit.length)).slice(0, 200_000);
      const submit = fetch(`${base}/api/tasks`, {
        method: 'POST',
        headers: { ...user.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'echo-big', input: { prompt } }),
      });
      const slowest = await slowestHealthDuring(base, submit);
      expect((await submit).status).toBe(202);
      expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
    },
  );
});
