/**
 * No secrets in agent config (SPEC §10, issue #9 item 4): secret-named keys are refused on create
 * and update, over HTTP and the CLI; rows written before are redacted on every read, so their
 * values reach neither a client nor the cache (Redis included).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecretConfigKeys } from '../../src/configSecrets.js';
import { createCaller, injectAs } from '../helpers/auth.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { dbTargets, serverRedisUrl, testRedisPrefix } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe('secret-named config keys', () => {
  it('match the whole key name, case-insensitively, ignoring _ and -, at any depth', () => {
    expect(
      findSecretConfigKeys({
        apiKey: 1,
        API_KEY: 1,
        'api-key': 1,
        Secret: 1,
        nested: { clientSecret: 1, list: [{ accessToken: 1 }, { password: 1 }] },
        token: 1,
      }),
    ).toEqual([
      'config.API_KEY',
      'config.Secret',
      'config.api-key',
      'config.apiKey',
      'config.nested.clientSecret',
      'config.nested.list[0].accessToken',
      'config.nested.list[1].password',
      'config.token',
    ]);
    expect(
      findSecretConfigKeys({ maxTokens: 5, tokenLimit: 1, baseUrl: 'x', secretive: true, modelKey: 'bsm' }),
    ).toEqual([]);
  });
});

const LEGACY_KEY = 'sk-legacy-plaintext-0123456789';

describe.each(dbTargets)('agent config secrets over HTTP on %s', (target) => {
  let t: TestSystem;
  const prefix = testRedisPrefix();
  beforeAll(async () => {
    t = await createTestSystem(
      target,
      serverRedisUrl ? { REDIS_URL: serverRedisUrl, BSM_REDIS_PREFIX: prefix } : {},
    );
  });
  afterAll(() => t.close());

  const body = (config: unknown, agentId = 'cfg-bot') => ({
    agentId,
    name: 'Cfg',
    role: 'helps',
    modelProvider: 'echo',
    config,
  });

  it('refuses a secret-named key on create with 400 naming it and pointing at modelKey and the vault', async () => {
    for (const config of [
      { apiKey: 'sk-1' },
      { provider: { 'API-KEY': 'sk-2' } },
      { headers: [{ Token: 'x' }] },
    ]) {
      const res = await t.inject({ method: 'POST', url: '/api/agents', payload: body(config) });
      expect(res.statusCode).toBe(400);
      const error = res.json().error;
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toMatch(/config\.(apiKey|provider\.API-KEY|headers\[0\]\.Token)/);
      expect(error.message).toContain('modelKey');
      expect(error.message).toContain('vault');
    }
    const { rows } = await t.system.db.query("SELECT 1 FROM agents WHERE agent_id = 'cfg-bot'");
    expect(rows).toHaveLength(0);
  });

  it('accepts maxTokens and refuses a secret on update, leaving the stored row unchanged', async () => {
    const created = await t.inject({ method: 'POST', url: '/api/agents', payload: body({ maxTokens: 100 }) });
    expect(created.statusCode).toBe(201);
    const patch = await t.inject({
      method: 'PATCH',
      url: '/api/agents/cfg-bot',
      payload: { config: { maxTokens: 100, auth: { clientSecret: 'cs-1' } } },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.message).toContain('config.auth.clientSecret');
    const { rows } = await t.system.db.query<{ config: unknown }>(
      "SELECT config FROM agents WHERE agent_id = 'cfg-bot'",
    );
    expect(rows[0].config).toEqual({ maxTokens: 100 });
  });

  it('never shows or caches the value of a secret stored before writes were refused', async () => {
    await t.system.db.query(
      `INSERT INTO agents (agent_id, name, role, model_provider, config)
       VALUES ('legacy-bot', 'Legacy', 'helps', 'echo', $1)`,
      [JSON.stringify({ apiKey: LEGACY_KEY, nested: { password: LEGACY_KEY }, maxTokens: 5 })],
    );
    const viewer = await createCaller(t.system, 'viewer');
    const asViewer = injectAs(t.app, viewer);
    const one = await asViewer('/api/agents/legacy-bot');
    expect(one.statusCode).toBe(200);
    expect(one.json().config).toEqual({
      apiKey: '[redacted]',
      nested: { password: '[redacted]' },
      maxTokens: 5,
    });
    const list = await asViewer('/api/agents');
    expect(list.body).toContain('legacy-bot');
    expect(list.body).not.toContain(LEGACY_KEY);
    // Both reads went through the cache: what it holds is the redacted agent.
    const cached = JSON.stringify(await t.system.cache.get('agent:by-agent-id:legacy-bot'));
    expect(cached).toContain('legacy-bot');
    expect(cached).not.toContain(LEGACY_KEY);
    expect(JSON.stringify(await t.system.cache.get('agents:list'))).not.toContain(LEGACY_KEY);
    // An entry cached by an older version (plaintext) is dropped when the engine starts.
    await t.system.cache.set('agent:by-agent-id:legacy-bot', {
      agentId: 'legacy-bot',
      config: { apiKey: LEGACY_KEY },
    });
    await t.system.engine.start();
    await t.system.engine.stop();
    const again = await asViewer('/api/agents/legacy-bot');
    expect(again.json().config.apiKey).toBe('[redacted]');
    if (serverRedisUrl) {
      const client = createClient({ url: serverRedisUrl });
      await client.connect();
      let dump = '';
      try {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` }))
          for (const key of keys) if ((await client.type(key)) === 'string') dump += await client.get(key);
      } finally {
        await client.quit();
      }
      expect(dump).toContain('legacy-bot');
      expect(dump).not.toContain(LEGACY_KEY);
    }
  });
});

describe.runIf(cliBuilt)('bsm agent create --config with a secret (embedded)', () => {
  it('stops with the validation error and stores nothing', { timeout: 120_000 }, async () => {
    const env = { BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')) };
    const args = ['agent', 'create', 'cli-cfg', '--name', 'C', '--role', 'r', '--provider', 'echo'];
    const refused = await runCli([...args, '--config', '{"openai":{"api_key":"sk-cli"}}'], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('VALIDATION_ERROR');
    expect(refused.stderr).toContain('config.openai.api_key');
    const listed = await runCli(['agent', 'list', '--json'], env);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout).total).toBe(0);
  });
});
