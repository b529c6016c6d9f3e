import { lookup } from 'node:dns/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/eventBus.js';
import { httpPlugin, type Resolver } from '../../../src/core/plugins/builtins/httpGet.js';
import { PluginSystem } from '../../../src/core/plugins/pluginSystem.js';
import { quietLogger } from '../../helpers/db.js';
import { actionContext, fakeAgent } from './helpers.js';

/**
 * Names that do not exist in DNS (system lookups of them would fail), and the system resolver for
 * the rest — IPv4 only, because the test server listens on 127.0.0.1.
 */
const resolver: Resolver = async (host) => {
  const table: Record<string, string[]> = {
    'api.example.test': ['127.0.0.1'],
    'mixed.example.test': ['93.184.216.34', '10.0.0.7'],
  };
  const found = table[host];
  if (!found) return lookup(host, { all: true, family: 4 });
  return found.map((address) => ({ address, family: 4 }));
};

describe('http.get SSRF guard', () => {
  let server: http.Server;
  let port: number;
  const hostHeaders: string[] = [];
  const plugins = new PluginSystem({ logger: quietLogger, events: new EventBus('n', quietLogger) });
  plugins.register(httpPlugin({ resolve: resolver, maxBytes: 64 }), 'builtin');

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hostHeaders.push(String(req.headers.host));
      if (req.url === '/to-loopback') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` });
        return res.end();
      }
      if (req.url?.startsWith('/loop')) {
        res.writeHead(302, { location: '/loop' });
        return res.end();
      }
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-internal': 'hidden' });
        return res.end('x'.repeat(1000));
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.url === '/secret' ? 'metadata-credentials' : 'hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (url: string, config: Record<string, unknown>) =>
    plugins.invoke('http.get', actionContext({ agent: fakeAgent({ config }) }), { url });

  it('refuses a direct request to 127.0.0.1 even when the host is on the allow-list', async () => {
    await expect(
      get(`http://127.0.0.1:${port}/secret`, { allowedHosts: ['127.0.0.1'] }),
    ).rejects.toMatchObject({
      reason: 'refused',
      message: expect.stringContaining('private or reserved address (127.0.0.1)'),
    });
    expect(hostHeaders).toEqual([]);
  });

  it('refuses a DNS name that resolves to loopback (localhost)', async () => {
    await expect(get(`http://localhost:${port}/`, { allowedHosts: ['localhost'] })).rejects.toMatchObject({
      reason: 'refused',
      message: expect.stringMatching(/Host localhost resolves to a private or reserved address/),
    });
  });

  it('refuses a name when any of its addresses is private', async () => {
    await expect(
      get('http://mixed.example.test/', { allowedHosts: ['*.example.test'] }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('(10.0.0.7)'),
    });
  });

  it('refuses hosts off the allow-list, agents without one, and non-http schemes', async () => {
    await expect(get('http://api.example.test/', { allowedHosts: ['other.test'] })).rejects.toMatchObject({
      message: "Host api.example.test is not on this agent's allow-list (config.allowedHosts)",
    });
    await expect(get('http://api.example.test/', {})).rejects.toMatchObject({ reason: 'refused' });
    await expect(get('file:///etc/passwd', { allowedHosts: ['*'] })).rejects.toMatchObject({
      message: 'Only http and https URLs are allowed, not file:',
    });
  });

  it('re-checks every redirect: an allowed private host redirecting to 127.0.0.1 is refused', async () => {
    // The agent may reach `localhost` (listed in allowPrivateNetwork), but not the literal loopback
    // address the redirect points at, although that host is on its allow-list.
    const config = { allowedHosts: ['localhost', '127.0.0.1'], allowPrivateNetwork: ['localhost'] };
    hostHeaders.length = 0;
    await expect(get(`http://localhost:${port}/to-loopback`, config)).rejects.toMatchObject({
      reason: 'refused',
      message: expect.stringContaining('Host 127.0.0.1 resolves to a private or reserved address'),
    });
    expect(hostHeaders).toEqual([`localhost:${port}`]);
  });

  it('connects to the address it vetted (no second lookup) and answers status, kept headers and body', async () => {
    hostHeaders.length = 0;
    const result = (await get(`http://api.example.test:${port}/hello`, {
      allowedHosts: ['*.example.test'],
      allowPrivateNetwork: true,
    })) as Record<string, unknown>;
    expect(result).toEqual({
      url: `http://api.example.test:${port}/hello`,
      status: 200,
      headers: expect.objectContaining({ 'content-type': 'text/plain' }),
      body: 'hello',
      truncated: false,
    });
    // The system resolver cannot resolve api.example.test: the request reached our server only
    // because it dialled the injected resolver's answer, with the name kept in the Host header.
    expect(hostHeaders).toEqual([`api.example.test:${port}`]);
  });

  it('truncates a body above the size limit and drops headers outside the kept subset', async () => {
    const result = (await get(`http://api.example.test:${port}/big`, {
      allowedHosts: ['api.example.test'],
      allowPrivateNetwork: true,
    })) as { body: string; truncated: boolean; headers: Record<string, string> };
    expect(result.body).toBe('x'.repeat(64));
    expect(result.truncated).toBe(true);
    expect(result.headers['x-internal']).toBeUndefined();
  });

  it('gives up after five redirects', async () => {
    await expect(
      get(`http://api.example.test:${port}/loop`, {
        allowedHosts: ['api.example.test'],
        allowPrivateNetwork: true,
      }),
    ).rejects.toMatchObject({ reason: 'failed', message: 'More than 5 redirects' });
  });
});
