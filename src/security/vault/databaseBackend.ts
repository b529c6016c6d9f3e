import type { SecretRepository } from '../../repositories/secrets.js';
import type { CryptoService } from '../crypto.js';
import type { SecretBackend } from './types.js';

/** The encryption context binds a ciphertext to its secret's name (see crypto.ts). */
export const secretContext = (name: string) => `secret:${name}`;

/** Secrets in PostgreSQL, each value AES-256-GCM encrypted before it leaves the process. */
export class DatabaseSecretBackend implements SecretBackend {
  readonly kind = 'database' as const;

  constructor(
    private readonly repo: SecretRepository,
    private readonly crypto: CryptoService,
  ) {}

  list() {
    return this.repo.list();
  }

  async get(name: string) {
    const ciphertext = await this.repo.findCiphertext(name);
    return ciphertext === undefined ? undefined : this.crypto.decrypt(ciphertext, secretContext(name));
  }

  put(name: string, value: string, userId: string | null) {
    return this.repo.upsert(name, this.crypto.encrypt(value, secretContext(name)), userId);
  }

  delete(name: string) {
    return this.repo.delete(name);
  }
}
