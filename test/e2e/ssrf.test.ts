/**
 * Issue 6, "Done when": SSRF through the whole tool path (task → model asks for `http.get`). A
 * direct loopback URL, a redirect from an allowed host to 127.0.0.1 and a DNS name resolving to
 * 127.0.0.1 are refused, the model is told so, and the target server never sees a request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/core/plugins/builtins/httpGet.js';
import { dbTargets } from '../helpers/db.js';
import { type Harness, lastUserText, startHarness } from './harness.js';

/** Test names: `hop` is the allowed host that redirects, `internal` a name for loopback. */
const resolver: Resolver = async (host) => {
  if (host === 'hop.example.test' || host === 'internal.example.test')
    return [{ address: '127.0.0.1', family: 4 }];
  throw new Error(`unknown host ${host}`);
};

async function listen(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe.each(dbTargets)('http.get SSRF guard end to end on %s', (target) => {
  let h: Harness;
  let secret: Awaited<ReturnType<typeof listen>>;
  let hop: Awaited<ReturnType<typeof listen>>;
  const secretHits: string[] = [];
  const hopHits: string[] = [];

  beforeAll(async () => {
    secret = await listen((req, res) => {
      secretHits.push(String(req.url));
      res.end('metadata-credentials');
    });
    hop = await listen((req, res) => {
      hopHits.push(String(req.url));
      if (req.url === '/jump') {
        res.writeHead(302, { location: `http://127.0.0.1:${secret.port}/secret` });
        return res.end();
      }
      res.end('public page');
    });
    h = await startHarness(target, { http: { resolve: resolver } });
    await h.createAgent({
      agentId: 'fetcher',
      name: 'Fetcher',
      role: 'You fetch pages.',
      modelProvider: 'openai',
      modelName: 'test-model',
      actions: ['http.get'],
      config: {
        baseUrl: h.chat.url,
        keyless: true,
        // Every host is on the allow-list; only `hop` may be on a private network (it stands in
        // for an allowed intranet host), so the guard's address check is what must refuse.
        allowedHosts: ['127.0.0.1', 'hop.example.test', 'internal.example.test'],
        allowPrivateNetwork: ['hop.example.test'],
      },
    });
    // The prompt is the URL to fetch; the answer repeats what the tool said.
    h.answer((body) => {
      const tool = body.messages.find((m) => m.role === 'tool');
      if (tool) return { content: `tool said: ${tool.content}` };
      const url = lastUserText(body);
      return { toolCalls: [{ id: 'g1', name: 'http.get', arguments: JSON.stringify({ url }) }] };
    });
  });
  afterAll(async () => {
    await h?.close();
    for (const s of [secret, hop]) await new Promise((r) => s?.server.close(r));
  });

  const fetchThroughModel = async (url: string) => {
    h.chat.requests.length = 0;
    const done = await h.runTask('fetcher', url);
    expect(done.status).toBe('completed');
    const messages = h.toolMessages();
    expect(messages).toHaveLength(1);
    return { done, message: messages[0] };
  };

  it('fetches from the allowed host (the path works, so the refusals below are the guard)', async () => {
    const { message } = await fetchThroughModel(`http://hop.example.test:${hop.port}/hello`);
    expect(JSON.parse(message)).toMatchObject({ status: 200, body: 'public page' });
    expect(hopHits).toEqual(['/hello']);
  });

  it('refuses a direct http://127.0.0.1 URL', async () => {
    const { done, message } = await fetchThroughModel(`http://127.0.0.1:${secret.port}/secret`);
    expect(message).toBe(
      'error: Host 127.0.0.1 resolves to a private or reserved address (127.0.0.1); refused',
    );
    expect(done.output.text).toBe(`tool said: ${message}`);
    expect(secretHits).toEqual([]);
  });

  it('refuses a redirect from the allowed host to 127.0.0.1', async () => {
    hopHits.length = 0;
    const { message } = await fetchThroughModel(`http://hop.example.test:${hop.port}/jump`);
    expect(message).toBe(
      'error: Host 127.0.0.1 resolves to a private or reserved address (127.0.0.1); refused',
    );
    expect(hopHits).toEqual(['/jump']);
    expect(secretHits).toEqual([]);
  });

  it('refuses a DNS name that resolves to 127.0.0.1, and audits every refusal', async () => {
    const { message } = await fetchThroughModel(`http://internal.example.test:${secret.port}/secret`);
    expect(message).toBe(
      'error: Host internal.example.test resolves to a private or reserved address (127.0.0.1); refused',
    );
    expect(secretHits).toEqual([]);
    const audited = await h.t.system.repos.auditLogs.list({ action: 'action.invoke' });
    const refusals = audited.items.filter((a) => (a.details as { reason?: string }).reason === 'refused');
    expect(refusals).toHaveLength(3);
  });
});
