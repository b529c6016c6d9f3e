/**
 * HashiCorp Vault KV version 2 (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2),
 * over plain fetch. Each secret is `<mount>/data/<prefix><name>` holding `{ value }`. Endpoints:
 * - read    GET    /v1/<mount>/data/<path>             → { data: { data: { value }, metadata } }
 * - write   POST   /v1/<mount>/data/<path>             { data: { value } }
 * - list    GET    /v1/<mount>/metadata/<prefix>?list=true → { data: { keys } } (404 when empty)
 * - dates   GET    /v1/<mount>/metadata/<path>         → { data: { created_time, updated_time } }
 * - delete  DELETE /v1/<mount>/metadata/<path>         (every version and the metadata)
 */
import { AppError } from '../../errors.js';
import type { SecretBackend, SecretInfo } from './types.js';

export interface HashicorpOptions {
  addr: string;
  token: string;
  mount?: string;
  prefix?: string;
  timeoutMs?: number;
}

const unavailable = (detail: string) =>
  new AppError(`Secrets backend unavailable: ${detail}`, 503, 'VAULT_UNAVAILABLE');

export class HashicorpVaultBackend implements SecretBackend {
  readonly kind = 'hashicorp' as const;
  private readonly base: string;
  private readonly mount: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: HashicorpOptions) {
    this.base = options.addr.replace(/\/+$/, '');
    this.mount = options.mount ?? 'secret';
    this.prefix = options.prefix ?? 'bsm/';
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  private url(kind: 'data' | 'metadata', name = ''): string {
    return `${this.base}/v1/${this.mount}/${kind}/${this.prefix}${encodeURIComponent(name)}`;
  }

  /** One request; a 404 is `undefined`, any other failure a 503 that never echoes the token. */
  private async call<T>(method: string, url: string, body?: unknown): Promise<T | undefined> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          'X-Vault-Token': this.options.token,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw unavailable((error as Error).name === 'TimeoutError' ? 'timed out' : 'not reachable');
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw unavailable(`HTTP ${res.status} on ${method} ${new URL(url).pathname}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  async list(): Promise<SecretInfo[]> {
    const listed = await this.call<{ data: { keys: string[] } }>('GET', `${this.url('metadata')}?list=true`);
    // Folders (keys ending in "/") are not ours: names never contain a slash.
    const names = (listed?.data.keys ?? []).filter((k) => !k.endsWith('/')).sort();
    const infos = await Promise.all(names.map((name) => this.info(name)));
    return infos.filter((i): i is SecretInfo => i !== undefined);
  }

  private async info(name: string): Promise<SecretInfo | undefined> {
    const meta = await this.call<{ data: { created_time: string; updated_time: string } }>(
      'GET',
      this.url('metadata', name),
    );
    if (!meta) return undefined;
    return { name, createdAt: new Date(meta.data.created_time), updatedAt: new Date(meta.data.updated_time) };
  }

  async get(name: string): Promise<string | undefined> {
    const read = await this.call<{ data: { data: { value?: unknown } | null } }>(
      'GET',
      this.url('data', name),
    );
    const value = read?.data.data?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async put(name: string, value: string) {
    const existed = (await this.info(name)) !== undefined;
    await this.call('POST', this.url('data', name), { data: { value } });
    const info = await this.info(name);
    if (!info) throw unavailable('secret missing right after it was written');
    return { info, created: !existed };
  }

  async delete(name: string): Promise<boolean> {
    if (!(await this.info(name))) return false;
    await this.call('DELETE', this.url('metadata', name));
    return true;
  }
}
