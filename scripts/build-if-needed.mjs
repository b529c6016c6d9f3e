// `npm start` on a fresh checkout: build once when dist/ is missing or older than src/.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

const entry = 'dist/cli/index.js';
if (!existsSync(entry) || statSync(entry).mtimeMs < newest('src')) {
  console.error('bsm: building (first start or sources changed)…');
  execSync('npm run build', { stdio: 'inherit' });
}
