import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceModelCall, traceTaskSubmit, traceTools } from '../../src/telemetry/spans.js';
import { currentTraceparent, inSpan, tracingEnabled } from '../../src/telemetry/tracing.js';
import { BSM } from '../helpers/processes.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const run = promisify(execFile);

/** Without OTEL_EXPORTER_OTLP_ENDPOINT tracing is off: no SDK, no spans, nothing stored. */
describe('tracing off', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem('pglite');
  });
  afterAll(() => t.close());

  it('runs the work directly and stores no traceparent on tasks', async () => {
    expect(t.system.config.otel.endpoint).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    const tools = { definitions: [], invoke: async () => 1 };
    expect(traceTools(tools)).toBe(tools);
    expect(await inSpan('x', {}, async (span) => span)).toBeUndefined();
    expect(currentTraceparent()).toBeNull();
    expect(await traceTaskSubmit({ taskId: 't', agentId: 'a' }, async (tp) => tp)).toBeNull();
    expect(
      await traceModelCall(
        'echo',
        'm',
        async () => 'answer',
        () => ({}),
      ),
    ).toBe('answer');

    await t.system.agents.create({ agentId: 'quiet', name: 'Q', role: 'r', modelProvider: 'echo' });
    const { task } = await t.system.queue.submit({ agentId: 'quiet', input: { prompt: 'x' } });
    const { rows } = await t.system.db.query<{ traceparent: string | null }>(
      'SELECT traceparent FROM tasks WHERE id = $1',
      [task.id],
    );
    expect(rows[0].traceparent).toBeNull();
  });
});

/**
 * "No SDK loaded": a `bsm` command run with a module hook that refuses to resolve any
 * OpenTelemetry SDK or exporter package. Without the endpoint it works; with it (the control)
 * the same command trips the hook, so the hook does see the SDK when it is loaded.
 */
describe('the OpenTelemetry SDK', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsm-otel-hook-'));
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `export async function resolve(specifier, context, next) {
  if (/^@opentelemetry\\/(sdk-|exporter-)/.test(specifier)) throw new Error('SDK loaded: ' + specifier);
  return next(specifier, context);
}`,
  );
  writeFileSync(
    path.join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);`,
  );
  const bsm = (env: Record<string, string>) =>
    run(
      process.execPath,
      ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, BSM, 'agent', 'list', '--json'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          LOG_LEVEL: 'warn',
          BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-data-')),
          ...env,
        },
      },
    );

  it('is never loaded when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    const { stdout } = await bsm({});
    expect(JSON.parse(stdout)).toMatchObject({ items: [] });
    await expect(bsm({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).rejects.toThrow(/SDK loaded/);
  }, 120_000);
});
