/**
 * Secret-named keys in agent `config` (SPEC §10 "No secrets in agent config"). Agent config is
 * stored in plaintext, cached (Redis) and shown to every viewer, so a provider key belongs in the
 * vault, named by the agent's `modelKey`. A key names a secret when its whole name — compared
 * case-insensitively, ignoring `_` and `-` — is in the list below: `apiKey`, `API_KEY`, `api-key`,
 * `clientSecret` and `accessToken` are secrets, `maxTokens` and `tokenLimit` are not.
 *
 * Pure functions without dependencies: the repository redacts on read with them and the agent
 * manager refuses writes with them.
 */

/** Normalised (lowercase, no `_`/`-`) names of keys whose value is a credential. */
export const SECRET_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'apikey',
  'apisecret',
  'apitoken',
  'accesskey',
  'accesskeyid',
  'secretaccesskey',
  'secret',
  'secretkey',
  'clientsecret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'accesstoken',
  'refreshtoken',
  'authtoken',
  'bearertoken',
  'sessiontoken',
  'idtoken',
  'privatekey',
  'authorization',
  'credentials',
]);

/** What a redacted value reads as, so an operator sees that something was there. */
export const REDACTED = '[redacted]';

const normalise = (key: string) => key.toLowerCase().replaceAll('_', '').replaceAll('-', '');

export function isSecretConfigKey(key: string): boolean {
  return SECRET_CONFIG_KEYS.has(normalise(key));
}

/**
 * Paths (`config.provider.apiKey`, `config.headers[0].token`) of every secret-named key, at any
 * depth. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findSecretConfigKeys(config: unknown, root = 'config'): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[config, root]];
  while (stack.length) {
    const [value, path] = stack.pop() as [unknown, string];
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) stack.push([item, `${path}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (isSecretConfigKey(key)) found.push(`${path}.${key}`);
        else stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return found.sort();
}

/**
 * A copy of `config` with every secret-named value replaced by `[redacted]`; the same object when
 * there is none (the common case costs one walk and no copy). For rows written before writes
 * were refused: their values never reach a client or the cache.
 */
export function redactConfigSecrets(config: Record<string, unknown>): Record<string, unknown> {
  if (findSecretConfigKeys(config).length === 0) return config;
  return redact(config) as Record<string, unknown>;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, isSecretConfigKey(k) ? REDACTED : redact(v)]),
  );
}
