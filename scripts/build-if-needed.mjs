// `npm start` on a fresh checkout: build once when dist/ is missing or older than its sources
// (the server in src/, the console in ui/).
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

const stale = (output, source) => !existsSync(output) || statSync(output).mtimeMs < newest(source);
if (stale('dist/cli/index.js', 'src') || stale('dist/ui/index.html', 'ui')) {
  console.error('bsm: building (first start or sources changed)…');
  execSync('npm run build', { stdio: 'inherit' });
}
