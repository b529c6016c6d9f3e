import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Config, ConfigError } from '../config.js';

export interface ResolvedSecrets {
  jwtSecret: string;
  /** 64 hex characters. */
  encryptionKey: string;
  /** Which of them were generated locally (the compliance report flags these in production). */
  generated: { jwtSecret: boolean; encryptionKey: boolean };
}

/** Values people paste from examples; never acceptable as a real secret. */
const PLACEHOLDERS = [
  'secret',
  'changeme',
  'change-me',
  'your-secret-key',
  'your_jwt_secret',
  'jwt_secret',
  'supersecret',
  'password',
  'default',
  'test',
];

export function isWeakJwtSecret(secret: string): boolean {
  const lower = secret.toLowerCase();
  return (
    Buffer.byteLength(secret) < 32 ||
    PLACEHOLDERS.some((p) => lower === p || lower.includes(`${p}${p}`)) ||
    /^(.)\1+$/.test(secret)
  );
}

/**
 * Secrets from the environment, or — outside production — generated once and kept in
 * `BSM_DATA_DIR/secrets.json` (mode 0600) so restarts keep tokens and ciphertexts valid.
 * In production a missing, short or placeholder JWT_SECRET stops start-up.
 */
export function resolveSecrets(config: Config): ResolvedSecrets {
  if (config.production) {
    if (!config.jwtSecret) throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
    if (isWeakJwtSecret(config.jwtSecret)) {
      throw new ConfigError('JWT_SECRET', 'is too short (< 32 bytes) or a known placeholder');
    }
    if (!config.encryptionKey)
      throw new ConfigError('ENCRYPTION_KEY', 'is required when NODE_ENV=production');
    return {
      jwtSecret: config.jwtSecret,
      encryptionKey: config.encryptionKey,
      generated: { jwtSecret: false, encryptionKey: false },
    };
  }
  if (config.jwtSecret && config.encryptionKey) {
    return {
      jwtSecret: config.jwtSecret,
      encryptionKey: config.encryptionKey,
      generated: { jwtSecret: false, encryptionKey: false },
    };
  }
  const file = path.join(config.dataDir, 'secrets.json');
  let stored: { jwtSecret?: string; encryptionKey?: string } = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8'));
  const next = {
    jwtSecret: stored.jwtSecret ?? randomBytes(48).toString('base64url'),
    encryptionKey: stored.encryptionKey ?? randomBytes(32).toString('hex'),
  };
  if (next.jwtSecret !== stored.jwtSecret || next.encryptionKey !== stored.encryptionKey) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(next), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    jwtSecret: config.jwtSecret ?? next.jwtSecret,
    encryptionKey: config.encryptionKey ?? next.encryptionKey,
    generated: { jwtSecret: !config.jwtSecret, encryptionKey: !config.encryptionKey },
  };
}
