/**
 * SPEC §14 traces, for real: an OTLP/HTTP receiver started here; a task submitted over HTTP to
 * `bsm serve --no-worker` and run by a separate `bsm worker` process lands in one trace — the HTTP
 * span, the submit span, claim and run in the other process, the model calls with the GenAI
 * attributes and the tool call.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer } from '../helpers/chatServer.js';
import { createServerDatabase, serverDatabaseUrl } from '../helpers/db.js';
import { BSM, type Child, deploymentEnv, login, spawnNode, startApi } from '../helpers/processes.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  service: string;
}

/** Collects spans posted to /v1/traces (OTLP/JSON, which the HTTP exporter sends). */
async function startOtlpReceiver() {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url === '/v1/traces' && String(req.headers['content-type']).includes('json')) {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value
          ?.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Two processes share one database: the real PostgreSQL.
describe.runIf(serverDatabaseUrl)('OpenTelemetry traces across processes', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  const children: Child[] = [];
  let base = '';
  let token = '';
  const PASSWORD = 'traces-Admin-pass-1';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The model asks for the time once, then answers.
    chat = await startChatServer((body) =>
      body.messages.some((m) => m.role === 'tool')
        ? { content: 'it is now', usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } }
        : { toolCalls: [{ id: 'call-1', name: 'time.now', arguments: '{}' }] },
    );
    database = await createServerDatabase();
    const env = {
      ...deploymentEnv(database.url, PASSWORD),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      BSM_POLL_INTERVAL_MS: '200',
    };
    const api = await startApi(['--no-worker'], { ...env, OTEL_SERVICE_NAME: 'bsm-api' });
    children.push(api.child);
    base = api.base;
    token = await login(base, 'admin', PASSWORD);
    const worker = spawnNode(BSM, ['worker'], { ...env, OTEL_SERVICE_NAME: 'bsm-worker', LOG_LEVEL: 'info' });
    children.push(worker);
    await worker.waitFor(/worker running/, 30_000);
  }, 90_000);
  afterAll(async () => {
    for (const child of children) await child.stop('SIGTERM');
    await database?.drop();
    await chat?.close();
    await receiver?.close();
  }, 60_000);

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('puts submit, claim, run, model and tool calls of one task in one trace', async () => {
    const agent = await call('POST', '/api/agents', {
      agentId: 'clock',
      name: 'Clock',
      role: 'tells the time',
      modelProvider: 'openai',
      modelName: 'test-model',
      actions: ['time.now'],
      config: { baseUrl: chat.url, keyless: true },
    });
    expect(agent.status).toBe(201);
    const submitted = await call('POST', '/api/tasks', { agentId: 'clock', input: { prompt: 'time?' } });
    expect(submitted.status).toBe(202);
    const { taskId } = (await submitted.json()) as { taskId: string };
    const done = (await (await call('GET', `/api/tasks/${taskId}?wait=30`)).json()) as { status: string };
    expect(done.status).toBe('completed');

    const ofTask = (name: string) => (s: OtlpSpan) => s.name === name && attr(s, 'bsm.task.id') === taskId;
    const submit = await until(() => receiver.spans.find(ofTask('task.submit')), 20_000, 'the submit span');
    const run = await until(() => receiver.spans.find(ofTask('task.run')), 20_000, 'the run span');
    const models = await until(
      () => {
        const found = receiver.spans.filter(
          (s) => s.traceId === submit.traceId && s.name === 'chat test-model',
        );
        return found.length === 2 ? found : undefined;
      },
      20_000,
      'two model-call spans',
    );
    const tool = await until(
      () => receiver.spans.find((s) => s.traceId === submit.traceId && s.name === 'execute_tool time.now'),
      20_000,
      'the tool span',
    );
    const http = receiver.spans.find((s) => s.spanId === submit.parentSpanId);
    const claim = receiver.spans.find(ofTask('task.claim'));

    // Submitted by the API process inside its HTTP span, run by the worker in the same trace.
    expect(http).toMatchObject({ name: 'POST /api/tasks', service: 'bsm-api' });
    expect(submit.service).toBe('bsm-api');
    expect(run).toMatchObject({
      service: 'bsm-worker',
      traceId: submit.traceId,
      parentSpanId: submit.spanId,
    });
    expect(claim).toMatchObject({ traceId: submit.traceId, parentSpanId: submit.spanId });
    for (const model of models) {
      expect(model.service).toBe('bsm-worker');
      expect(model.parentSpanId).toBe(run.spanId);
      expect(attr(model, 'gen_ai.system')).toBe('openai');
      expect(attr(model, 'gen_ai.request.model')).toBe('test-model');
    }
    const answer = models.find((m) => String(attr(m, 'gen_ai.usage.input_tokens')) === '11');
    expect(answer && String(attr(answer, 'gen_ai.usage.output_tokens'))).toBe('3');
    expect(tool).toMatchObject({ parentSpanId: run.spanId, service: 'bsm-worker' });
    expect(attr(tool, 'gen_ai.tool.name')).toBe('time.now');
  }, 120_000);
});
