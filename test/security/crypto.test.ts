import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError, CryptoService, deriveKeyId } from '../../src/security/crypto.js';
import { rotateKeys } from '../../src/security/keyRotation.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const newKey = () => randomBytes(32).toString('hex');

const throwsCrypto = (fn: () => unknown) => {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe('DECRYPTION_FAILED');
};

describe('crypto service', () => {
  const key = newKey();
  const crypto = new CryptoService(key);

  it('round-trips text, with a fresh IV each time and the key id inside the ciphertext', () => {
    const a = crypto.encrypt('sk-live-123 ✓', 'secret:openai');
    const b = crypto.encrypt('sk-live-123 ✓', 'secret:openai');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a.split('.')[1]).toBe(deriveKeyId(key));
    expect(crypto.keyIdOf(a)).toBe(crypto.currentKeyId);
    expect(a).not.toContain('sk-live');
    expect(crypto.decrypt(a, 'secret:openai')).toBe('sk-live-123 ✓');
    expect(crypto.decrypt(crypto.encrypt(''), '')).toBe('');
  });

  it('fails loudly when any single character of the ciphertext changes', () => {
    const text = crypto.encrypt('a secret worth protecting', 'ctx');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '.') continue;
      const swap = alphabet[(alphabet.indexOf(text[i]) + 1) % alphabet.length];
      throwsCrypto(() => crypto.decrypt(text.slice(0, i) + swap + text.slice(i + 1), 'ctx'));
    }
    throwsCrypto(() => crypto.decrypt(text, 'other-ctx'));
    throwsCrypto(() => crypto.decrypt(`${text}A`, 'ctx'));
    throwsCrypto(() => crypto.decrypt('plaintext', 'ctx'));
  });

  it('decrypts with an older key listed in ENCRYPTION_KEYS, under any label, and refuses an unknown one', () => {
    const oldKey = newKey();
    const old = new CryptoService(oldKey).encrypt('from last year', 'c');
    const current = new CryptoService(newKey(), [`retired:${oldKey}`]);
    expect(current.decrypt(old, 'c')).toBe('from last year');
    expect(current.keyIdOf(current.reencrypt(old, 'c'))).toBe(current.currentKeyId);
    throwsCrypto(() => new CryptoService(newKey()).decrypt(old, 'c'));
  });
});

describe.each(dbTargets)('key rotation on %s', (target) => {
  const oldKey = newKey();
  const newerKey = newKey();
  let before: TestSystem;
  beforeAll(async () => {
    before = await createTestSystem(target, { ENCRYPTION_KEY: oldKey });
  });
  afterAll(() => before.close());

  it('re-encrypts every stored secret under the current key and they still read back', async () => {
    await before.system.vault.put('openai', 'sk-one');
    await before.system.vault.put('anthropic', 'sk-two');
    const { db } = before.system;
    const rotated = new CryptoService(newerKey, [`old:${oldKey}`]);
    const report = await rotateKeys(db, rotated);
    expect(report).toMatchObject({ currentKeyId: deriveKeyId(newerKey), rotated: 2, failed: 0 });
    expect(report.columns[0]).toMatchObject({ table: 'secrets', total: 2, rotated: 2, alreadyCurrent: 0 });
    const { rows } = await db.query<{ ciphertext: string }>('SELECT ciphertext FROM secrets');
    for (const r of rows) expect(rotated.keyIdOf(r.ciphertext)).toBe(deriveKeyId(newerKey));
    // Without the old key the rotated rows still decrypt: the old key can now be retired.
    const onlyNew = new CryptoService(newerKey);
    const names = new Map([
      ['openai', 'sk-one'],
      ['anthropic', 'sk-two'],
    ]);
    const all = await db.query<{ name: string; ciphertext: string }>('SELECT name, ciphertext FROM secrets');
    for (const r of all.rows)
      expect(onlyNew.decrypt(r.ciphertext, `secret:${r.name}`)).toBe(names.get(r.name));
    // A second run has nothing to do.
    expect(await rotateKeys(db, rotated)).toMatchObject({ rotated: 0, failed: 0 });
    // A row under a key nobody holds is reported, not lost.
    const stranger = new CryptoService(newKey()).encrypt('x', 'secret:ghost');
    await db.query(`INSERT INTO secrets (name, ciphertext) VALUES ('ghost', $1)`, [stranger]);
    const withGhost = await rotateKeys(db, rotated);
    expect(withGhost).toMatchObject({ rotated: 0, failed: 1 });
  });
});
