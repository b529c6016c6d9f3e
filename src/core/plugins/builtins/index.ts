import type { PluginModule } from '../types.js';
import { delegatePlugin } from './delegate.js';
import { type HttpGetOptions, httpPlugin } from './httpGet.js';
import { timePlugin } from './time.js';

/** The actions the engine ships with (SPEC §5): `time.now`, `http.get`, `agent.delegate`. */
export function builtinPlugins(options: { http?: HttpGetOptions } = {}): PluginModule[] {
  return [timePlugin, httpPlugin(options.http), delegatePlugin];
}
