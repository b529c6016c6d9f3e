import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { HashicorpVaultBackend, Vault } from '../../src/security/vault/index.js';
import { createSystem, type System } from '../../src/system.js';
import { adminInject, type Inject } from '../helpers/auth.js';
import { createTestDatabase, dbTargets, type TestDatabase, testConfig } from '../helpers/db.js';
import { type FakeVault, startFakeVault } from '../helpers/fakeVault.js';

const VALUE = 'sk-live-Zq9xL2mR4vT6wY8pN3kJ';
const NEW_VALUE = 'sk-live-rotated-Hc5Gd7Fb1Ve3';

/** Every row of every table in the current schema, as JSON text. */
async function dumpDatabase(system: System): Promise<string> {
  const { rows } = await system.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  let dump = '';
  for (const { table_name } of rows) {
    // table_name comes from the catalog, not from input.
    const data = await system.db.query(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`);
    dump += data.rows.map((r) => String(r.j)).join('\n');
  }
  return dump;
}

describe.each(dbTargets)('secrets vault on %s', (target) => {
  let database: TestDatabase;
  let system: System;
  let app: FastifyInstance;
  let inject: Inject;
  const logLines: string[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(target);
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('trace', sink);
    const config = testConfig({
      LOG_LEVEL: 'trace',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    system = await createSystem(config, { logger, db: database.db });
    app = await buildApp(system);
    await app.ready();
    inject = adminInject(system, app);
  });
  afterAll(async () => {
    await app.close();
    await system.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
  });

  it('creates (201) then replaces (200) a secret and lists names and dates only', async () => {
    const created = await inject({
      method: 'PUT',
      url: '/api/secrets/openai',
      payload: { value: VALUE },
    });
    expect(created.statusCode).toBe(201);
    expect(Object.keys(created.json()).sort()).toEqual(['createdAt', 'name', 'updatedAt']);
    const replaced = await inject({
      method: 'PUT',
      url: '/api/secrets/openai',
      payload: { value: NEW_VALUE },
    });
    expect(replaced.statusCode).toBe(200);
    await inject({ method: 'PUT', url: '/api/secrets/bsm', payload: { value: 'another-value-123' } });
    const list = await inject('/api/secrets');
    expect(list.statusCode).toBe(200);
    expect(list.headers['cache-control']).toBe('no-store');
    expect(list.json()).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect(list.json().items.map((i: { name: string }) => i.name)).toEqual(['bsm', 'openai']);
    for (const item of list.json().items)
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'name', 'updatedAt']);
    expect(list.body).not.toContain('sk-live');
  });

  it('gives the engine the value by name, and undefined for an unknown name', async () => {
    expect(await system.vault.get('openai')).toBe(NEW_VALUE);
    expect(await system.vault.get('missing')).toBeUndefined();
    expect(await system.vault.get('../etc/passwd')).toBeUndefined();
  });

  it('rejects bad names, empty values and unknown fields with 400, changing nothing', async () => {
    const cases = [
      { url: '/api/secrets/bad%20name', payload: { value: 'x' } },
      { url: '/api/secrets/ok', payload: { value: '' } },
      { url: '/api/secrets/ok', payload: { value: 'x', owner: 'me' } },
      { url: '/api/secrets/ok', payload: { value: 42 } },
      { url: '/api/secrets/.hidden', payload: { value: 'x' } },
    ];
    for (const c of cases) {
      const res = await inject({ method: 'PUT', ...c });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
    }
    expect((await inject('/api/secrets')).json().total).toBe(2);
  });

  it('deletes a secret (204), then answers 404 SECRET_NOT_FOUND', async () => {
    expect((await inject({ method: 'DELETE', url: '/api/secrets/bsm' })).statusCode).toBe(204);
    const again = await inject({ method: 'DELETE', url: '/api/secrets/bsm' });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('SECRET_NOT_FOUND');
  });

  it('audits every change by name and never by value', async () => {
    const page = await system.audit.list({ resourceType: 'secret' });
    expect(page.items.map((r) => `${r.action}:${r.resourceId}`).sort()).toEqual([
      'secret.create:bsm',
      'secret.create:openai',
      'secret.delete:bsm',
      'secret.update:openai',
    ]);
    expect(JSON.stringify(page.items)).not.toContain('sk-live');
  });

  it('leaves no plaintext value in any table or any log line, and refuses plaintext in the secrets table', async () => {
    const dump = await dumpDatabase(system);
    expect(dump).toContain('openai');
    expect(dump).not.toContain(VALUE);
    expect(dump).not.toContain(NEW_VALUE);
    const logs = logLines.join('');
    expect(logs).toContain('/api/secrets/openai');
    expect(logs).not.toContain(VALUE);
    expect(logs).not.toContain(NEW_VALUE);
    await expect(
      system.db.query(`INSERT INTO secrets (name, ciphertext) VALUES ('plain', 'hunter2')`),
    ).rejects.toThrow();
  });
});

describe('HashiCorp Vault KV v2 backend', () => {
  let fake: FakeVault;
  beforeAll(async () => {
    fake = await startFakeVault();
  });
  afterAll(() => fake.close());

  it('stores, lists, reads, replaces and deletes secrets under secret/data/bsm/', async () => {
    const vault = new Vault(new HashicorpVaultBackend({ addr: fake.url, token: fake.token }));
    expect(vault.kind).toBe('hashicorp');
    expect(await vault.list()).toEqual([]);
    expect((await vault.put('openai', VALUE)).created).toBe(true);
    expect(fake.store.get('bsm/openai')?.value).toEqual({ value: VALUE });
    expect(fake.requests).toContain('POST /v1/secret/data/bsm/openai');
    const replaced = await vault.put('openai', NEW_VALUE);
    expect(replaced.created).toBe(false);
    expect(replaced.info.name).toBe('openai');
    await vault.put('bsm', 'x1');
    const list = await vault.list();
    expect(list.map((s) => s.name)).toEqual(['bsm', 'openai']);
    expect(list[0].createdAt).toBeInstanceOf(Date);
    expect(await vault.get('openai')).toBe(NEW_VALUE);
    expect(await vault.get('nope')).toBeUndefined();
    await vault.delete('bsm');
    expect(fake.store.has('bsm/bsm')).toBe(false);
    await expect(vault.delete('bsm')).rejects.toMatchObject({ statusCode: 404, code: 'SECRET_NOT_FOUND' });
  });

  it('answers 503 VAULT_UNAVAILABLE on a wrong token or an unreachable server, without echoing the token', async () => {
    const wrong = new Vault(new HashicorpVaultBackend({ addr: fake.url, token: 'wrong' }));
    const error = await wrong.get('openai').catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 503, code: 'VAULT_UNAVAILABLE' });
    expect(String((error as Error).message)).not.toContain('wrong');
    const down = new Vault(
      new HashicorpVaultBackend({ addr: 'http://127.0.0.1:9', token: fake.token, timeoutMs: 500 }),
    );
    await expect(down.list()).rejects.toMatchObject({ statusCode: 503, code: 'VAULT_UNAVAILABLE' });
  });

  it('is what the System uses when VAULT_ADDR and VAULT_TOKEN are set, for the API too', async () => {
    const database = await createTestDatabase('pglite');
    const config = testConfig({ VAULT_ADDR: fake.url, VAULT_TOKEN: fake.token });
    const system = await createSystem(config, { logger: createLogger('silent'), db: database.db });
    const app = await buildApp(system);
    const inject = adminInject(system, app);
    try {
      expect(system.vault.kind).toBe('hashicorp');
      const put = await inject({
        method: 'PUT',
        url: '/api/secrets/model-key',
        payload: { value: VALUE },
      });
      expect(put.statusCode).toBe(201);
      expect(fake.store.get('bsm/model-key')?.value).toEqual({ value: VALUE });
      expect((await system.db.query('SELECT * FROM secrets')).rowCount).toBe(0);
      expect(await system.vault.get('model-key')).toBe(VALUE);
    } finally {
      await app.close();
      await system.close();
    }
  });
});
