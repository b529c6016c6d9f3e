import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { resolveSecrets } from '../../src/security/localSecrets.js';

describe('local secrets', () => {
  it('generates secrets once in the data dir with mode 0600 and keeps them across restarts', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bsm-secrets-'));
    const first = resolveSecrets(loadConfig({ BSM_DATA_DIR: dir }));
    const second = resolveSecrets(loadConfig({ BSM_DATA_DIR: dir }));
    expect(second).toEqual(first);
    expect(first.generated).toEqual({ jwtSecret: true, encryptionKey: true });
    expect(first.encryptionKey).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).jwtSecret).toBe(first.jwtSecret);
  });

  it.each([
    [{}, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'changeme'.repeat(5) }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'a'.repeat(40) }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'k'.repeat(20) + 'Zq9!x7Lm2#pR4$vT6wY8' }, 'ENCRYPTION_KEY'],
  ])('refuses weak production configuration %#', (env, variable) => {
    let error: unknown;
    try {
      resolveSecrets(loadConfig({ NODE_ENV: 'production', ...env }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });
});
