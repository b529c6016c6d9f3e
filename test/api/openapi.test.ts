import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveOperationId, requireListedProperties } from '../../src/api/openapi.js';
import { createCaller, type TestCaller } from '../helpers/auth.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

interface Operation {
  operationId?: string;
  responses: Record<string, unknown>;
}
type Doc = { servers?: unknown[]; paths: Record<string, Record<string, Operation>> } & Record<
  string,
  unknown
>;

/** SPEC §14: the live document is ready for client generators. */
describe('OpenAPI for client generators', () => {
  let t: TestSystem;
  let base: string;
  let admin: TestCaller;
  let doc: Doc;
  let text: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'bsm-openapi-'));

  beforeAll(async () => {
    t = await createTestSystem('pglite');
    await t.system.queue.start();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    admin = await createCaller(t.system, 'admin');
    const res = await fetch(`${base}/openapi.json`);
    text = await res.text();
    doc = JSON.parse(text);
    writeFileSync(path.join(dir, 'openapi.json'), text);
  });
  afterAll(() => t?.close());

  it('passes @redocly/cli lint (recommended rules) with no errors and no warnings', async () => {
    const { stdout } = await run(bin('redocly'), ['lint', path.join(dir, 'openapi.json'), '--format=json'], {
      // Offline: no telemetry, no update check.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
      maxBuffer: 10 * 1024 * 1024,
    }).catch((err: { stdout: string }) => err);
    const problems = (JSON.parse(stdout) as { problems: Array<{ ruleId: string; message: string }> })
      .problems;
    expect(problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
  }, 60_000);

  it('names every operation uniquely, sets servers and documents the error envelope', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const ids: string[] = [];
    for (const [url, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.operationId, `${method} ${url}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
        ids.push(op.operationId as string);
        const fourXx = Object.keys(op.responses).filter((code) => code.startsWith('4'));
        expect(fourXx, `${method} ${url}`).toContain('4XX');
      }
    }
    expect(ids.length).toBeGreaterThan(40);
    expect(new Set(ids).size).toBe(ids.length);
    const cancel = doc.paths['/api/tasks/{taskId}/cancel'].post;
    expect(cancel.operationId).toBe('postTasksByTaskIdCancel');
    expect(Object.keys(cancel.responses)).toEqual(
      expect.arrayContaining(['400', '401', '403', '404', '429']),
    );
    expect(doc.paths['/health'].get.responses).not.toHaveProperty('401');
  });

  it('lists required properties that real answers really carry', async () => {
    const agent = await t.inject({
      method: 'POST',
      url: '/api/agents',
      payload: { agentId: 'typed', name: 'Typed', role: 'answers', modelProvider: 'echo' },
    });
    expect(agent.statusCode).toBe(201);
    const task = (
      await t.inject({
        method: 'POST',
        url: '/api/tasks',
        payload: { agentId: 'typed', input: { prompt: 'hi' } },
      })
    ).json();
    await t.inject(`/api/tasks/${task.taskId}?wait=10`);
    const [execution] = (await t.inject(`/api/tasks/${task.taskId}/executions`)).json().items;
    const schemas = (doc.components as { schemas: Record<string, { required?: string[] }> }).schemas;
    for (const [name, value] of [
      ['Agent', agent.json()],
      ['Task', (await t.inject(`/api/tasks/${task.taskId}`)).json()],
      ['Execution', execution],
    ] as const) {
      expect(schemas[name].required?.length, name).toBeGreaterThan(5);
      for (const field of schemas[name].required ?? [])
        expect(value, `${name}.${field}`).toHaveProperty(field);
    }
  });

  it('generates a typed client with openapi-typescript that compiles under strict mode and talks to the server', async () => {
    writeFileSync(path.join(dir, 'api.ts'), astToString(await openapiTS(text)));
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    // Under `strict`, reading `list.items[0].agentId` only compiles when the fields are required.
    writeFileSync(
      path.join(dir, 'client.ts'),
      `import type { paths } from './api.js';
type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
} ? T : never;

const [base, token] = process.argv.slice(2);
const headers = { authorization: \`Bearer \${token}\` };
const list: Json<'/api/tasks', 'get'> = await (await fetch(\`\${base}/api/tasks\`, { headers })).json();
const first = list.items[0];
const agentId: string | null = first.agentId;
const total: number = list.total;
const output: { [key: string]: unknown } | null = first.output;
const agent: Json<'/api/agents/{agentId}', 'get'> = await (await fetch(\`\${base}/api/agents/\${agentId}\`, { headers })).json();
const words: string[] = agent.capabilities;
console.log(JSON.stringify({ total, agentId, text: output?.text, agent: agent.agentId, words: words.length }));
`,
    );
    await run(
      bin('tsc'),
      [
        '--strict',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--skipLibCheck',
        '--typeRoots',
        path.join(root, 'node_modules/@types'),
        '--types',
        'node',
        path.join(dir, 'client.ts'),
      ],
      { cwd: dir },
    ).catch((err: { stdout: string }) => {
      throw new Error(`tsc failed:\n${err.stdout}`);
    });
    const { stdout } = await run(process.execPath, [path.join(dir, 'client.js'), base, admin.token]);
    expect(JSON.parse(stdout)).toEqual({ total: 1, agentId: 'typed', text: 'hi', agent: 'typed', words: 0 });
  }, 120_000);
});

describe('OpenAPI rules', () => {
  it('derives operation ids from the method and the path', () => {
    expect(deriveOperationId('GET', '/api/tasks/:taskId/executions')).toBe('getTasksByTaskIdExecutions');
    expect(deriveOperationId('POST', '/api/workflow-runs/:runId/cancel')).toBe(
      'postWorkflowRunsByRunIdCancel',
    );
    expect(deriveOperationId('GET', '/health')).toBe('getHealth');
  });

  it('requires listed properties unless a schema lists its own required fields', () => {
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'object', properties: { b: {} } },
        c: { type: 'array', items: { properties: { d: {} } } },
      },
    };
    const own = { type: 'object', properties: { x: {}, y: {} }, required: ['x'] };
    requireListedProperties({ schema, own });
    expect(schema).toMatchObject({
      required: ['a', 'c'],
      properties: { a: { required: ['b'] }, c: { items: { required: ['d'] } } },
    });
    expect(own.required).toEqual(['x']);
  });
});
