import type { SecretInfo } from '../../repositories/secrets.js';

export type { SecretInfo };

/** Where secret values live. Values cross this interface only on `get` and `put`. */
export interface SecretBackend {
  readonly kind: 'database' | 'hashicorp';
  list(): Promise<SecretInfo[]>;
  /** The value, or undefined when there is no such secret. */
  get(name: string): Promise<string | undefined>;
  put(name: string, value: string, userId: string | null): Promise<{ info: SecretInfo; created: boolean }>;
  /** False when there was nothing to delete. */
  delete(name: string): Promise<boolean>;
}
