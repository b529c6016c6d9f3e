import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const ours = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

/**
 * SPEC §14: `npm install` on Node 20.19+ prints no EBADENGINE. npm warns for any installed package
 * whose `engines.node` excludes the running Node, so every locked package must accept the oldest
 * Node we support (cookie@2 and content-disposition@3 want Node 22: package.json overrides them
 * with cookie@1.1 and content-disposition@2, the same API for their users here).
 */
describe('installed packages', () => {
  it('all accept the oldest Node this project supports', () => {
    const oldest = semver.minVersion(ours.engines.node)?.version as string;
    expect(oldest).toBe('20.19.0');
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && typeof p.engines.node === 'string')
      .filter(([, p]) => !semver.satisfies(oldest, (p.engines as { node: string }).node))
      .map(([name, p]) => `${name}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});
