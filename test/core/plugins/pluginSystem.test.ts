import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/eventBus.js';
import type { BusEvent } from '../../../src/core/events.js';
import { ActionError } from '../../../src/core/plugins/actionError.js';
import { PluginSystem } from '../../../src/core/plugins/pluginSystem.js';
import type { PluginModule } from '../../../src/core/plugins/types.js';
import { quietLogger } from '../../helpers/db.js';
import { actionContext } from './helpers.js';

const okPlugin = (name: string, action: string): PluginModule => ({
  name,
  version: '1.0.0',
  actions: [
    {
      name: action,
      description: 'echoes',
      parameters: { type: 'object', properties: { x: { type: 'number' } } },
      handler: (_ctx, args) => ({ got: args.x }),
    },
  ],
});

describe('plugin system', () => {
  let events: EventBus;
  let plugins: PluginSystem;
  let loaded: BusEvent[];
  beforeEach(() => {
    events = new EventBus('test-node', quietLogger);
    loaded = [];
    events.subscribe((e) => loaded.push(e), ['plugin:loaded']);
    plugins = new PluginSystem({ logger: quietLogger, events, actionTimeoutMs: 200, loadTimeoutMs: 500 });
  });
  afterEach(() => plugins.stop());

  it('loads .mjs and .js files from the plugins directory, skips other files, and emits plugin:loaded', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bsm-plugins-'));
    writeFileSync(
      path.join(dir, 'a.mjs'),
      `export default { name: 'alpha', version: '2.0.0', actions: [{ name: 'alpha.ping', description: 'ping',
         parameters: { type: 'object' }, handler: () => 'pong' }] };`,
    );
    writeFileSync(
      path.join(dir, 'b.js'),
      // A `.js` file outside any package.json with "type": "module" is still ESM here (named exports).
      `export const name = 'beta'; export const version = '0.1.0';
       export const actions = [{ name: 'beta.ping', description: 'ping', parameters: { type: 'object' }, handler: () => 'pong' }];`,
    );
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a plugin');
    await plugins.loadAll(dir, []);
    expect(plugins.actionNames()).toEqual(['alpha.ping', 'beta.ping']);
    expect(plugins.listPlugins().map((p) => [p.name, p.version, p.status])).toEqual([
      ['alpha', '2.0.0', 'loaded'],
      ['beta', '0.1.0', 'loaded'],
    ]);
    expect(loaded.map((e) => e.payload.name)).toEqual(['alpha', 'beta']);
    expect(await plugins.invoke('alpha.ping', actionContext(), {})).toBe('pong');
  });

  it('treats a missing plugins directory as empty', async () => {
    await plugins.loadAll(path.join(tmpdir(), 'bsm-no-such-dir-xyz'), []);
    expect(plugins.listPlugins()).toEqual([]);
  });

  it('loads a plugin by npm package name from node_modules of the base directory', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'bsm-pkg-'));
    const pkgDir = path.join(base, 'node_modules', '@acme', 'bsm-plugin-greet');
    mkdirSync(path.join(pkgDir, 'lib'), { recursive: true });
    writeFileSync(
      path.join(pkgDir, 'package.json'),
      JSON.stringify({
        name: '@acme/bsm-plugin-greet',
        type: 'module',
        exports: { '.': { import: './lib/main.js' } },
      }),
    );
    writeFileSync(
      path.join(pkgDir, 'lib', 'main.js'),
      `export default { name: 'greet', version: '1.2.3', actions: [{ name: 'greet.hello', description: 'hello',
         parameters: { type: 'object', properties: { who: { type: 'string' } } }, handler: (_c, a) => 'hello ' + a.who }] };`,
    );
    const local = new PluginSystem({ logger: quietLogger, events, packageBaseDir: base });
    await local.loadAll(path.join(base, 'plugins'), ['@acme/bsm-plugin-greet', 'bsm-not-installed-anywhere']);
    expect(local.actionNames()).toEqual(['greet.hello']);
    expect(await local.invoke('greet.hello', actionContext(), { who: 'ada' })).toBe('hello ada');
    const missing = local.listPlugins().find((p) => p.source === 'bsm-not-installed-anywhere');
    expect(missing).toMatchObject({ status: 'failed', actions: [] });
    expect(missing?.error).toContain('could not load');
  });

  it('isolates a plugin that throws while loading, one that hangs while loading, and a malformed one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bsm-plugins-'));
    writeFileSync(path.join(dir, 'a-throws.mjs'), `throw new Error('boom at import');`);
    writeFileSync(path.join(dir, 'b-hangs.mjs'), `await new Promise(() => {}); export default {};`);
    writeFileSync(
      path.join(dir, 'c-malformed.mjs'),
      `export default { name: 'bad', version: '1', actions: 'nope' };`,
    );
    writeFileSync(
      path.join(dir, 'd-good.mjs'),
      `export default { name: 'good', version: '1', actions: [{ name: 'good.run', description: 'd',
         parameters: { type: 'object' }, handler: () => 1 }] };`,
    );
    await plugins.loadAll(dir, []);
    const byFile = Object.fromEntries(plugins.listPlugins().map((p) => [path.basename(p.source), p]));
    expect(byFile['a-throws.mjs']).toMatchObject({ status: 'failed' });
    expect(byFile['a-throws.mjs'].error).toContain('boom at import');
    expect(byFile['b-hangs.mjs'].error).toContain('timed out');
    expect(byFile['c-malformed.mjs'].error).toContain('actions must be an array');
    expect(byFile['d-good.mjs'].status).toBe('loaded');
    expect(plugins.actionNames()).toEqual(['good.run']);
  });

  it('refuses a second plugin that registers an action name already taken', () => {
    plugins.register(okPlugin('one', 'dup.action'), 'test');
    const second = plugins.register(okPlugin('two', 'dup.action'), 'test');
    expect(second.status).toBe('failed');
    expect(second.error).toBe('action dup.action is already registered by plugin one');
    const badName = plugins.register(okPlugin('three', 'NoNamespace'), 'test');
    expect(badName.error).toContain('namespace.verb');
  });

  it('ends a hanging handler at its time limit with an ActionError and counts the timeout', async () => {
    let sawAbort = false;
    plugins.register(
      {
        name: 'slow',
        version: '1',
        actions: [
          {
            name: 'slow.wait',
            description: 'never returns',
            parameters: { type: 'object' },
            handler: (ctx) =>
              new Promise(() => {
                ctx.signal.addEventListener('abort', () => {
                  sawAbort = true;
                });
              }),
          },
        ],
      },
      'test',
    );
    const error = await plugins.invoke('slow.wait', actionContext(), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).reason).toBe('timeout');
    expect((error as ActionError).message).toBe('Action slow.wait timed out after 200 ms');
    expect(sawAbort).toBe(true);
    expect(plugins.listPlugins()[0]).toMatchObject({ calls: 1, timeouts: 1, failures: 1 });
  });

  it('turns a throwing handler into a failed call, and stops a call when the task signal aborts', async () => {
    plugins.register(
      {
        name: 'flaky',
        version: '1',
        actions: [
          {
            name: 'flaky.throw',
            description: 'throws',
            parameters: { type: 'object' },
            handler: () => {
              throw new Error('handler exploded');
            },
          },
          {
            name: 'flaky.wait',
            description: 'waits',
            parameters: { type: 'object' },
            handler: () => new Promise(() => {}),
          },
        ],
      },
      'test',
    );
    await expect(plugins.invoke('flaky.throw', actionContext(), {})).rejects.toMatchObject({
      reason: 'failed',
      message: 'handler exploded',
    });
    const task = new AbortController();
    const pending = plugins.invoke('flaky.wait', actionContext({ signal: task.signal }), {});
    task.abort();
    await expect(pending).rejects.toMatchObject({
      reason: 'failed',
      message: expect.stringContaining('aborted'),
    });
    expect(plugins.listPlugins()[0]).toMatchObject({
      failures: 2,
      error: expect.stringContaining('aborted'),
    });
  });

  it('logs and counts a hook that throws, and keeps delivering events to everyone else', async () => {
    const seen: string[] = [];
    plugins.register(
      {
        ...okPlugin('hooked', 'hooked.x'),
        hooks: {
          'task:completed': () => {
            throw new Error('sync hook failure');
          },
          'task:failed': async () => {
            throw new Error('async hook failure');
          },
        },
      },
      'test',
    );
    events.subscribe((e) => seen.push(e.type), ['task:completed', 'task:failed']);
    events.emit('task:completed', {});
    events.emit('task:failed', {});
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['task:completed', 'task:failed']);
    expect(plugins.listPlugins()[0]).toMatchObject({
      hookFailures: 2,
      error: 'hook task:failed: async hook failure',
    });
  });

  it('validates arguments against the action schema and names the problem', () => {
    plugins.register(okPlugin('v', 'v.check'), 'test');
    expect(plugins.validate('v.check', { x: 1 })).toBeNull();
    expect(plugins.validate('v.check', { x: 'one' })).toBe('arguments.x must be number');
  });
});
