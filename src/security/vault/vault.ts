import { notFound, validation } from '../../errors.js';
import type { SecretBackend, SecretInfo } from './types.js';

/** Secret names (at most 100 characters, Fastify's path-parameter limit): like model keys (`bsm`, `openai-prod`), so they are safe in URLs and Vault paths. */
export const SECRET_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
const NAME_RE = new RegExp(SECRET_NAME_PATTERN);
export const MAX_SECRET_BYTES = 65_536;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw validation(`Invalid secret name`, { field: 'name' });
}

/**
 * Named secrets for operators (the /api/secrets routes) and for the engine (provider keys named by
 * an agent's `model_key`). Values are returned only by `get`/`require`; listings carry names and
 * dates, and nothing here logs a value.
 */
export class Vault {
  constructor(private readonly backend: SecretBackend) {}

  get kind(): SecretBackend['kind'] {
    return this.backend.kind;
  }

  list(): Promise<SecretInfo[]> {
    return this.backend.list();
  }

  /** The value, or undefined when no secret has that name (the engine then falls back to env). */
  async get(name: string): Promise<string | undefined> {
    if (!NAME_RE.test(name)) return undefined;
    return this.backend.get(name);
  }

  async require(name: string): Promise<string> {
    const value = await this.get(name);
    if (value === undefined) throw notFound(`Secret ${name}`, 'SECRET_NOT_FOUND');
    return value;
  }

  async put(name: string, value: string, userId: string | null = null) {
    checkName(name);
    if (value.length === 0 || Buffer.byteLength(value) > MAX_SECRET_BYTES) {
      throw validation(`A secret value must be 1 to ${MAX_SECRET_BYTES} bytes`, { field: 'value' });
    }
    return this.backend.put(name, value, userId);
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    if (!(await this.backend.delete(name))) throw notFound(`Secret ${name}`, 'SECRET_NOT_FOUND');
  }
}
