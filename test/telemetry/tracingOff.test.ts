import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceModelCall, traceTaskSubmit, traceTools } from '../../src/telemetry/spans.js';
import { currentTraceparent, inSpan, tracingEnabled } from '../../src/telemetry/tracing.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

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
