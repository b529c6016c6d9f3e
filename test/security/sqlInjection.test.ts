/**
 * Hostile strings in every query parameter of every list route — the parameters are read from the
 * OpenAPI document the routes generate, so a new filter is covered without editing this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const ATTACKS = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '1; DROP TABLE agents; --',
  "' UNION SELECT id, username, password_hash FROM users --",
  "x' AND pg_sleep(3) --",
  "%' OR 'x'='x",
  "\\'; DELETE FROM users; --",
  '1)) OR ((1=1',
];

/** Tables whose content must not change, snapshotted in full. */
const TABLES = ['agents', 'users', 'ml_models', 'tasks', 'api_keys', 'refresh_tokens'];

interface OpenApiParam {
  in: string;
  name: string;
}

describe.each(dbTargets)('SQL injection in list filters on %s', (target) => {
  let t: TestSystem;
  let as: Inject;
  beforeAll(async () => {
    t = await createTestSystem(target);
    as = injectAs(t.app, await createCaller(t.system, 'admin'));
    await as({
      method: 'POST',
      url: '/api/agents',
      payload: { agentId: 'alpha-bot', name: 'Alpha', role: 'r', modelProvider: 'echo' },
    });
    await as({
      method: 'POST',
      url: '/api/models',
      payload: { modelId: 'm1', name: 'M', type: 'nlp', version: '1' },
    });
  });
  afterAll(() => t.close());

  async function snapshot(): Promise<string> {
    const parts: string[] = [];
    for (const table of TABLES) {
      const { rows } = await t.system.db.query(`SELECT * FROM ${table} ORDER BY 1`);
      parts.push(JSON.stringify(rows));
    }
    return parts.join('\n');
  }

  type ListResponse = { content?: Record<string, { schema?: { properties?: { items?: unknown } } }> };

  it('answers 400 or an empty page for every attack in every filter, and changes nothing', async () => {
    const doc = (await t.app.inject('/openapi.json')).json() as {
      paths: Record<
        string,
        { get?: { parameters?: OpenApiParam[]; responses?: Record<string, ListResponse> } }
      >;
    };
    const targets: Array<{ path: string; param: string }> = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.includes('{')) continue;
      // Lists only (their 200 answer is a page with `items`); the event stream filters no table.
      if (!ops.get?.responses?.['200']?.content?.['application/json']?.schema?.properties?.items) continue;
      for (const p of ops.get?.parameters ?? []) {
        if (p.in === 'query' && p.name !== 'limit' && p.name !== 'offset')
          targets.push({ path, param: p.name });
      }
    }
    expect(targets.map((x) => `${x.path}?${x.param}`)).toEqual(
      expect.arrayContaining([
        '/api/agents?q',
        '/api/agents?status',
        '/api/users?role',
        '/api/security/threats?ip',
      ]),
    );

    const before = await snapshot();
    for (const { path, param } of targets) {
      for (const attack of ATTACKS) {
        const res = await as(`${path}?${param}=${encodeURIComponent(attack)}`);
        const where = `${path}?${param}=${attack}`;
        expect([200, 400], where).toContain(res.statusCode);
        if (res.statusCode === 200) expect(res.json().items, where).toEqual([]);
        else expect(res.json().error.code, where).toBe('VALIDATION_ERROR');
      }
    }
    expect(await snapshot()).toBe(before);
    // The agents are all still there, and the probes were flagged.
    expect((await as('/api/agents')).json().total).toBe(1);
    expect((await t.system.repos.securityThreats.list({ type: 'sql_injection' })).total).toBeGreaterThan(0);
  });

  it('answers 400 for attacks in path parameters that must be ids, and 404 for handles', async () => {
    const byId = await as(`/api/users/${encodeURIComponent("1' OR '1'='1")}`);
    expect(byId.statusCode).toBe(404);
    const byHandle = await as(`/api/agents/${encodeURIComponent("x' OR 1=1 --")}`);
    expect([400, 404]).toContain(byHandle.statusCode);
  });
});
