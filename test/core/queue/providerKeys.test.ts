import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderResult } from '../../../src/core/providers/types.js';
import { dbTargets } from '../../helpers/db.js';
import { createTestSystem, type TestSystem } from '../../helpers/system.js';

const answer: ProviderResult = {
  text: 'ok',
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
};

describe.each(dbTargets)('provider keys from the vault on %s', (target) => {
  let t: TestSystem;
  const keys: Record<string, Array<string | undefined>> = { keyed: [], keyless: [] };
  beforeAll(async () => {
    t = await createTestSystem(target, { BSM_POLL_INTERVAL_MS: '50' });
    for (const [name, needsApiKey] of [
      ['keyed', true],
      ['keyless', false],
    ] as const) {
      t.system.providers.register({
        name,
        needsApiKey,
        async run(_input, ctx) {
          keys[name].push(ctx.apiKey);
          return answer;
        },
      });
      await t.system.agents.create({
        agentId: `${name}-agent`,
        name,
        role: 'r',
        modelProvider: name,
        modelKey: 'team-key',
      });
    }
    await t.system.vault.put('team-key', 'sk-team-secret-123');
    await t.system.queue.start();
  });
  afterAll(() => t.close());

  it("hands a provider that needs a key the vault secret named by the agent's model_key", async () => {
    const task = await t.system.queue.submitAndWait(
      { agentId: 'keyed-agent', input: { prompt: 'hi' } },
      10_000,
    );
    expect(task.status).toBe('completed');
    expect(keys.keyed).toEqual(['sk-team-secret-123']);
  });

  it('reads no secret for a provider that needs none', async () => {
    const task = await t.system.queue.submitAndWait(
      { agentId: 'keyless-agent', input: { prompt: 'hi' } },
      10_000,
    );
    expect(task.status).toBe('completed');
    expect(keys.keyless).toEqual([undefined]);
  });
});
