import type { Config } from '../../config.js';
import type { SecretRepository } from '../../repositories/secrets.js';
import type { CryptoService } from '../crypto.js';
import { DatabaseSecretBackend } from './databaseBackend.js';
import { HashicorpVaultBackend } from './hashicorpBackend.js';
import { Vault } from './vault.js';

export { DatabaseSecretBackend, secretContext } from './databaseBackend.js';
export { HashicorpVaultBackend } from './hashicorpBackend.js';
export type { SecretBackend, SecretInfo } from './types.js';
export { MAX_SECRET_BYTES, SECRET_NAME_PATTERN, Vault } from './vault.js';

/** HashiCorp Vault when VAULT_ADDR and VAULT_TOKEN are both set; PostgreSQL otherwise. */
export function createVault(config: Config, repo: SecretRepository, crypto: CryptoService): Vault {
  if (config.vaultAddr && config.vaultToken) {
    return new Vault(new HashicorpVaultBackend({ addr: config.vaultAddr, token: config.vaultToken }));
  }
  return new Vault(new DatabaseSecretBackend(repo, crypto));
}
