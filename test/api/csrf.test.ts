/**
 * The console's cookie session and CSRF (SPEC §10/§13), over real HTTP: login sets the HttpOnly
 * `token` cookie when asked, logout clears it, and a change authenticated by that cookie alone is
 * refused unless it comes from our own origin (or a listed one). Bearer callers are unaffected.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, TEST_PASSWORD, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  json(): any;
}

/** One request over a socket (so Origin, Referer, Host and Cookie are exactly what we say). */
function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  return new Promise<Answer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${path}`,
      {
        method,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const LISTED = 'https://console.example.test';
const FOREIGN = 'https://evil.example.test';

describe.each(dbTargets)('cookie session and CSRF on %s', (target) => {
  let t: TestSystem;
  let base: string;
  let own: string;
  let alice: TestCaller;
  let cookie: string;

  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    request(base, method, path, headers, body);

  /** Logs alice in over HTTP, asking for the cookie; answers the `Cookie` header to send back. */
  const login = async () => {
    const res = await send(
      'POST',
      '/api/auth/login',
      {},
      { username: alice.user.username, password: TEST_PASSWORD, cookie: true },
    );
    expect(res.status).toBe(200);
    const set = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('token='));
    expect(set).toBeDefined();
    return { header: set!.split(';')[0], set: set!, token: res.json().token as string };
  };

  beforeAll(async () => {
    // The queue does not run here: submitted tasks and workflow steps stay pending, so there is
    // something to cancel.
    t = await createTestSystem(target, { BSM_CORS_ORIGINS: LISTED, BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    own = base;
    alice = await createCaller(t.system, 'admin');
    await t.system.agents.create({ agentId: 'echo-c', name: 'Echo', role: 'echo', modelProvider: 'echo' });
    const workflow = await send('POST', '/api/workflows', bearer(), {
      workflowId: 'one-step',
      name: 'One step',
      definition: { steps: [{ id: 'only', agentId: 'echo-c', input: { prompt: 'hi' } }] },
    });
    expect(workflow.status).toBe(201);
    cookie = (await login()).header;
  });
  afterAll(() => t?.close());

  const bearer = () => ({ authorization: `Bearer ${alice.token}` });
  const newTask = async () =>
    (await send('POST', '/api/tasks', bearer(), { agentId: 'echo-c', input: { prompt: 'x' } })).json()
      .taskId as string;
  const newModel = async (modelId: string) =>
    expect(
      (await send('POST', '/api/models', bearer(), { modelId, name: modelId, type: 'llm', version: '1' }))
        .status,
    ).toBe(201);
  const newRun = async () =>
    (await send('POST', '/api/workflows/one-step/runs', bearer(), { input: {} })).json().runId as string;
  const taskStatus = async (taskId: string) => (await t.system.queue.get(taskId)).status;

  it('login sets the HttpOnly SameSite=Strict token cookie only when asked, and still answers the token', async () => {
    const { set, token } = await login();
    expect(set).toMatch(/^token=[^;]+/);
    expect(set).toContain(`token=${token}`);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toMatch(/Secure/i);
    const plain = await send(
      'POST',
      '/api/auth/login',
      {},
      { username: alice.user.username, password: TEST_PASSWORD },
    );
    expect(plain.status).toBe(200);
    expect(plain.headers['set-cookie']).toBeUndefined();
    expect(typeof plain.json().token).toBe('string');
  });

  it('a cookie session reads from anywhere (GET is safe) and the cookie alone authenticates', async () => {
    const me = await send('GET', '/api/auth/me', { cookie, origin: FOREIGN });
    expect(me.status).toBe(200);
    expect(me.json().id).toBe(alice.user.id);
  });

  it('refuses bodyless cookie-only POSTs from a foreign origin with 403 CSRF_REJECTED, changing nothing', async () => {
    const taskId = await newTask();
    await newModel('csrf-model');
    const runId = await newRun();
    const attempts = [
      `/api/models/csrf-model/deploy`,
      `/api/tasks/${taskId}/cancel`,
      `/api/workflow-runs/${runId}/cancel`,
      '/api/auth/logout',
    ];
    for (const path of attempts) {
      for (const headers of [
        { origin: FOREIGN },
        { referer: `${FOREIGN}/page` },
        {},
        { origin: 'null' },
      ] as Record<string, string>[]) {
        const res = await send('POST', path, { cookie, ...headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.json().error.code).toBe('CSRF_REJECTED');
      }
    }
    expect((await send('GET', '/api/models/csrf-model', bearer())).json().status).toBe('training');
    expect(await taskStatus(taskId)).toBe('pending');
    expect((await send('GET', `/api/workflow-runs/${runId}`, bearer())).json().status).toBe('running');
    expect((await send('GET', '/api/auth/me', { cookie })).status).toBe(200);
  });

  it('accepts the same bodyless POSTs from our own origin (Origin or Referer) and from a listed origin', async () => {
    const taskId = await newTask();
    await newModel('same-model');
    const runId = await newRun();
    expect((await send('POST', '/api/models/same-model/deploy', { cookie, origin: own })).json().status).toBe(
      'deployed',
    );
    const cancelled = await send('POST', `/api/tasks/${taskId}/cancel`, {
      cookie,
      referer: `${own}/ui/tasks/${taskId}`,
    });
    expect(cancelled.status).toBe(200);
    expect(await taskStatus(taskId)).toBe('cancelled');
    const run = await send('POST', `/api/workflow-runs/${runId}/cancel`, { cookie, origin: LISTED });
    expect(run.status).toBe(200);
    expect(run.json().status).toBe('cancelled');
  });

  it('leaves bearer-token callers alone whatever their Origin', async () => {
    const taskId = await newTask();
    const res = await send('POST', `/api/tasks/${taskId}/cancel`, { ...bearer(), origin: FOREIGN });
    expect(res.status).toBe(200);
  });

  it('logout from our own origin ends the session and clears the cookie', async () => {
    const session = await login();
    const res = await send('POST', '/api/auth/logout', { cookie: session.header, origin: own });
    expect(res.status).toBe(204);
    const cleared = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('token='));
    expect(cleared).toMatch(/^token=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/i);
    expect((await send('GET', '/api/auth/me', { cookie: session.header })).status).toBe(401);
  });
});

describe('cookie session behind a trusted TLS proxy', () => {
  let t: TestSystem;
  let base: string;
  let alice: TestCaller;
  beforeAll(async () => {
    t = await createTestSystem(dbTargets[0], {
      BSM_TRUST_PROXY: 'true',
      BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    alice = await createCaller(t.system, 'admin');
  });
  afterAll(() => t?.close());

  const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'agents.example.test' };

  it('marks the cookie Secure and takes X-Forwarded-Host/-Proto as our own origin', async () => {
    const res = await request(base, 'POST', '/api/auth/login', proxied, {
      username: alice.user.username,
      password: TEST_PASSWORD,
      cookie: true,
    });
    const set = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('token='))!;
    expect(set).toMatch(/Secure/);
    const cookie = set.split(';')[0];
    const own = await request(base, 'POST', '/api/auth/logout', {
      ...proxied,
      cookie,
      origin: 'https://agents.example.test',
    });
    expect(own.status).toBe(204);
    const session = await request(base, 'POST', '/api/auth/login', proxied, {
      username: alice.user.username,
      password: TEST_PASSWORD,
      cookie: true,
    });
    const second = [session.headers['set-cookie'] ?? []]
      .flat()
      .find((c) => c.startsWith('token='))!
      .split(';')[0];
    // The socket's own Host is not what the browser saw behind the proxy.
    const direct = await request(base, 'POST', '/api/auth/logout', {
      ...proxied,
      cookie: second,
      origin: base,
    });
    expect(direct.status).toBe(403);
  });
});
