/**
 * Finds an npm plugin package's ESM entry in `<baseDir>/node_modules` — the deployment's own
 * folder, where an operator runs `npm install <plugin>` — rather than next to the engine's code,
 * which is where a bare `import(name)` would look.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const PACKAGE_NAME_RE = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

type Exports = string | { [condition: string]: Exports } | undefined;

function entryOf(exports: Exports): string | undefined {
  if (typeof exports === 'string') return exports;
  if (!exports || typeof exports !== 'object') return undefined;
  const root = '.' in exports ? exports['.'] : exports;
  if (typeof root === 'string') return root;
  for (const condition of ['import', 'node', 'default']) {
    const found = entryOf((root as Record<string, Exports>)?.[condition]);
    if (found) return found;
  }
  return undefined;
}

/** The URL to import for package `name`, or the bare name when it is not installed in `baseDir`. */
export function resolvePluginPackage(name: string, baseDir: string): string {
  if (!PACKAGE_NAME_RE.test(name)) throw new Error(`"${name}" is not an npm package name`);
  const dir = path.join(baseDir, 'node_modules', name);
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return name;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports?: Exports;
    module?: string;
    main?: string;
  };
  const entry = entryOf(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
  return pathToFileURL(path.join(dir, entry)).href;
}
