import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('agents and models API on %s', (target) => {
  let t: TestSystem;
  let inject: Inject;
  beforeAll(async () => {
    t = await createTestSystem(target);
    inject = injectAs(t.app, await createCaller(t.system, 'admin'));
  });
  afterAll(() => t.close());

  const post = (url: string, payload: unknown) => inject({ method: 'POST', url, payload: payload as object });

  it('answers /health and /ready, and lists no agents on a fresh database', async () => {
    expect((await inject('/health')).json()).toEqual({ status: 'ok' });
    const ready = await inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.database).toBe('ok');
    expect((await inject('/api/agents')).json()).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
  });

  it('creates an agent (201) and answers 409 AGENT_EXISTS the second time', async () => {
    const body = {
      agentId: 'legal-reviewer',
      name: 'Legal reviewer',
      role: 'counsel',
      description: 'Performs legal review of contracts',
      modelProvider: 'echo',
    };
    const first = await post('/api/agents', body);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ agentId: 'legal-reviewer', status: 'active', version: 1 });
    expect(first.headers['x-request-id']).toBeTruthy();
    const second = await post('/api/agents', body);
    expect(second.statusCode).toBe(409);
    expect(second.json()).toEqual({
      error: { code: 'AGENT_EXISTS', message: 'Agent legal-reviewer already exists' },
    });
  });

  it('rejects a wrong type or an unknown field with 400 VALIDATION_ERROR naming the field', async () => {
    const wrongType = await post('/api/agents', { agentId: 'a-b', name: 42, role: 'r' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'name' } });
    expect(wrongType.json().error.message).toContain('name');
    const unknown = await post('/api/agents', { agentId: 'a-b', name: 'n', role: 'r', colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'colour' } });
    const badId = await post('/api/agents', { agentId: 'Bad Id!', name: 'n', role: 'r' });
    expect(badId.statusCode).toBe(400);
    const badProvider = await post('/api/agents', {
      agentId: 'a-c',
      name: 'n',
      role: 'r',
      modelProvider: 'skynet',
    });
    expect(badProvider.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'modelProvider' },
    });
    expect((await inject('/api/agents')).json().total).toBe(1);
  });

  it('rejects a PATCH key that smuggles SQL and changes nothing', async () => {
    const before = (await inject('/api/agents/legal-reviewer')).json();
    const res = await inject({
      method: 'PATCH',
      url: '/api/agents/legal-reviewer',
      payload: { "name = 'x'; --": 'boom' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_ERROR');
    expect((await inject('/api/agents/legal-reviewer')).json()).toEqual(before);
  });

  it('patches known fields and bumps the version', async () => {
    const res = await inject({
      method: 'PATCH',
      url: '/api/agents/legal-reviewer',
      payload: { status: 'inactive', capabilities: ['contracts'] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'inactive', capabilities: ['contracts'], version: 2 });
    const empty = await inject({ method: 'PATCH', url: '/api/agents/legal-reviewer', payload: {} });
    expect(empty.statusCode).toBe(400);
  });

  it('finds agents with ?q= ranked, and filters by ?status=', async () => {
    await post('/api/agents', {
      agentId: 'legal-a',
      name: 'Legal assistant',
      role: 'legal helper',
      modelProvider: 'echo',
    });
    await post('/api/agents', { agentId: 'chef', name: 'Chef', role: 'cooks', modelProvider: 'echo' });
    const found = (await inject('/api/agents?q=legal')).json();
    expect(found.items.map((a: { agentId: string }) => a.agentId)).toEqual(['legal-a', 'legal-reviewer']);
    const inactive = (await inject('/api/agents?status=inactive')).json();
    expect(inactive.items.map((a: { agentId: string }) => a.agentId)).toEqual(['legal-reviewer']);
    expect((await inject('/api/agents?status=bogus')).statusCode).toBe(400);
    expect((await inject('/api/agents?limit=1&offset=1')).json()).toMatchObject({
      total: 3,
      limit: 1,
      offset: 1,
    });
    expect((await inject('/api/agents?limit=501')).statusCode).toBe(400);
    const hostile = await inject(`/api/agents?q=${encodeURIComponent("legal' OR 1=1; --")}`);
    expect(hostile.statusCode).toBe(200);
  });

  it('deletes an agent (204) and then answers 404 AGENT_NOT_FOUND', async () => {
    expect((await inject({ method: 'DELETE', url: '/api/agents/chef' })).statusCode).toBe(204);
    const gone = await inject('/api/agents/chef');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('AGENT_NOT_FOUND');
  });

  it('manages the model registry and deploys a model', async () => {
    const created = await post('/api/models', {
      modelId: 'sentiment',
      name: 'Sentiment',
      type: 'nlp',
      version: '1.0.0',
      framework: 'pytorch',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ status: 'training', deployedAt: null });
    expect(
      (await post('/api/models', { modelId: 'sentiment', name: 'S', type: 'nlp', version: '1' })).statusCode,
    ).toBe(409);
    const deployed = await post('/api/models/sentiment/deploy', undefined);
    expect(deployed.json()).toMatchObject({ status: 'deployed' });
    expect(typeof deployed.json().deployedAt).toBe('string');
    const patched = await inject({
      method: 'PATCH',
      url: '/api/models/sentiment',
      payload: { metrics: { accuracy: 0.93 } },
    });
    expect(patched.json().metrics).toEqual({ accuracy: 0.93 });
    expect((await inject('/api/models?status=deployed')).json().total).toBe(1);
    expect((await inject({ method: 'DELETE', url: '/api/models/sentiment' })).statusCode).toBe(204);
    expect((await inject('/api/models/sentiment')).json().error.code).toBe('MODEL_NOT_FOUND');
  });

  it('answers non-JSON with 415, bad JSON with 400 and unknown routes with 404, all in the envelope', async () => {
    const text = await inject({
      method: 'POST',
      url: '/api/agents',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const broken = await inject({
      method: 'POST',
      url: '/api/agents',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('VALIDATION_ERROR');
    const missing = await inject('/api/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas, and /docs', async () => {
    const doc = (await inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/agents', '/api/agents/{agentId}', '/api/models/{modelId}/deploy']),
    );
    expect(doc.paths['/api/agents'].post.requestBody.content['application/json'].schema.required).toEqual([
      'agentId',
      'name',
      'role',
    ]);
    expect((await inject('/docs/')).statusCode).toBe(200);
  });
});

describe('agent changes leave a trail', () => {
  it('writes an audit row and emits an event for every create, update and delete', async () => {
    const t = await createTestSystem('pglite');
    const admin = await createCaller(t.system, 'admin');
    const inject = injectAs(t.app, admin);
    try {
      const seen: string[] = [];
      t.system.events.subscribe((e) => seen.push(`${e.type}:${e.payload.agentId}`));
      await inject({
        method: 'POST',
        url: '/api/agents',
        payload: { agentId: 'aud', name: 'A', role: 'r', modelProvider: 'echo' },
        headers: { 'user-agent': 'curl/8' },
      });
      await inject({ method: 'PATCH', url: '/api/agents/aud', payload: { name: 'B' } });
      await inject({ method: 'DELETE', url: '/api/agents/aud' });
      expect(seen).toEqual(['agent:created:aud', 'agent:updated:aud', 'agent:deleted:aud']);
      const rows = await t.system.repos.auditLogs.list({ resourceType: 'agent' });
      expect(rows.items.map((r) => r.action).sort()).toEqual([
        'agent.create',
        'agent.delete',
        'agent.update',
      ]);
      const created = rows.items.find((r) => r.action === 'agent.create')!;
      expect(created).toMatchObject({
        resourceId: 'aud',
        userId: admin.user.id,
        ipAddress: '127.0.0.1',
        userAgent: 'curl/8',
      });
    } finally {
      await t.close();
    }
  });
});
