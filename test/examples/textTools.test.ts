import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/eventBus.js';
import { PluginSystem } from '../../src/core/plugins/pluginSystem.js';
import { actionContext } from '../core/plugins/helpers.js';
import { quietLogger } from '../helpers/db.js';

describe('example plugin examples/plugins/text-tools.mjs', () => {
  it('loads through the plugin system from its directory and counts words', async () => {
    const plugins = new PluginSystem({ logger: quietLogger, events: new EventBus('n', quietLogger) });
    await plugins.loadAll(path.resolve('examples/plugins'), []);
    expect(plugins.listPlugins()).toEqual([
      expect.objectContaining({ name: 'text-tools', version: '1.0.0', status: 'loaded', error: null }),
    ]);
    expect(plugins.actionNames()).toEqual(['text.slugify', 'text.wordcount']);
    expect(await plugins.invoke('text.wordcount', actionContext(), { text: 'one two\nthree  ' })).toEqual({
      words: 3,
      characters: 15,
      lines: 2,
    });
    expect(
      await plugins.invoke('text.slugify', actionContext(), { text: 'Crème Brûlée: A History!' }),
    ).toEqual({
      slug: 'creme-brulee-a-history',
    });
    expect(plugins.validate('text.wordcount', {})).toBe("arguments must have required property 'text'");
    plugins.stop();
  });
});
