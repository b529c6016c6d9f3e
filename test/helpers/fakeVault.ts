/**
 * A tiny HashiCorp Vault stand-in that speaks the KV v2 endpoints the vault backend uses, kept in
 * memory and guarded by one token. Started by the tests themselves (no Vault server here).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Entry {
  value: Record<string, unknown>;
  created: string;
  updated: string;
  version: number;
}

export interface FakeVault {
  url: string;
  token: string;
  /** Raw stored data by full path (e.g. `bsm/openai`), to check what reached the server. */
  store: Map<string, Entry>;
  requests: string[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

export async function startFakeVault(mount = 'secret'): Promise<FakeVault> {
  const token = 'root-token-for-tests';
  const store = new Map<string, Entry>();
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (req.headers['x-vault-token'] !== token) return send(403, { errors: ['permission denied'] });
    const match = url.pathname.match(new RegExp(`^/v1/${mount}/(data|metadata)/(.*)$`));
    if (!match) return send(404, { errors: [] });
    const [, kind, rawPath] = match;
    const path = decodeURIComponent(rawPath);
    const entry = store.get(path);
    if (kind === 'metadata' && req.method === 'GET' && url.searchParams.get('list') === 'true') {
      const keys = [...store.keys()].filter((k) => k.startsWith(path)).map((k) => k.slice(path.length));
      return keys.length ? send(200, { data: { keys } }) : send(404, { errors: [] });
    }
    if (kind === 'metadata' && req.method === 'GET') {
      if (!entry) return send(404, { errors: [] });
      return send(200, {
        data: { created_time: entry.created, updated_time: entry.updated, current_version: entry.version },
      });
    }
    if (kind === 'metadata' && req.method === 'DELETE') {
      store.delete(path);
      return send(204);
    }
    if (kind === 'data' && req.method === 'GET') {
      if (!entry) return send(404, { errors: [] });
      return send(200, { data: { data: entry.value, metadata: { version: entry.version } } });
    }
    if (kind === 'data' && (req.method === 'POST' || req.method === 'PUT')) {
      const { data } = JSON.parse(await readBody(req)) as { data: Record<string, unknown> };
      const now = new Date().toISOString();
      const next: Entry = entry
        ? { ...entry, value: data, updated: now, version: entry.version + 1 }
        : { value: data, created: now, updated: now, version: 1 };
      store.set(path, next);
      return send(200, { data: { created_time: next.updated, version: next.version } });
    }
    return send(405, { errors: ['unsupported'] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    store,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
