/**
 * Once per `vitest run`: initdb one in-memory PGlite cluster and write its dump to a file, so each
 * test's embedded database starts from a copy (about 0.5 s) instead of its own initdb (2–3 s).
 * The dump is of a fresh, empty cluster — every test still runs the migrations itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a `dumpDataDir()` tarball of a fresh PGlite cluster (see test/helpers/db.ts). */
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsm-pglite-template-'));
  const file = path.join(dir, 'cluster.tar');
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
