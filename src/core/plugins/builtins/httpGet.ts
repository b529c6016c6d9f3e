/**
 * `http.get` with an SSRF guard. Every hop (the first URL and each redirect) is checked the same
 * way: http/https only, host on the agent's allow-list, and — unless the agent's config allows the
 * private network — every address the name resolves to is public. The request then goes to the
 * vetted address itself, so a second DNS answer (DNS rebinding) can never change the target.
 */
import { lookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Agent } from '../../../domain.js';
import { ActionError, refused } from '../actionError.js';
import type { PluginModule } from '../types.js';
import { hostAllowed, isBlockedAddress } from './addressGuard.js';

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface HttpGetOptions {
  /** Name resolution; tests inject their own. */
  resolve?: Resolver;
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
}

export const HTTP_GET_MAX_BYTES = 1_048_576;
const KEPT_HEADERS = ['content-type', 'content-length', 'content-language', 'last-modified', 'etag', 'date'];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Checks one hop and answers the address to connect to. */
async function vet(url: URL, agent: Agent, resolve: Resolver): Promise<string> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refused(`Only http and https URLs are allowed, not ${url.protocol}`);
  }
  if (url.username || url.password) throw refused('URLs with credentials are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowedHosts = stringList(agent.config.allowedHosts);
  if (!hostAllowed(host, allowedHosts)) {
    throw refused(`Host ${host} is not on this agent's allow-list (config.allowedHosts)`);
  }
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await resolve(host)).map((a) => a.address);
    } catch {
      throw new ActionError(`Host ${host} could not be resolved`, 'failed');
    }
  }
  if (addresses.length === 0) throw new ActionError(`Host ${host} has no address`, 'failed');
  const allowPrivate = agent.config.allowPrivateNetwork;
  const privateOk =
    allowPrivate === true || (Array.isArray(allowPrivate) && hostAllowed(host, stringList(allowPrivate)));
  if (!privateOk) {
    const bad = addresses.find(isBlockedAddress);
    if (bad) throw refused(`Host ${host} resolves to a private or reserved address (${bad}); refused`);
  }
  return addresses[0];
}

function request(url: URL, address: string, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolvePromise, reject) => {
    const req = client.request(
      {
        host: address,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: {
          host: url.host,
          accept: '*/*',
          'accept-encoding': 'identity',
          'user-agent': 'bsm-agentos',
        },
        // TLS still verifies the certificate against the name, not the address we dialled.
        servername: isIP(host) ? undefined : host,
        agent: false,
        signal,
      },
      resolvePromise,
    );
    req.on('error', reject);
    req.end();
  });
}

async function readBody(
  res: IncomingMessage,
  maxBytes: number,
): Promise<{ body: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      truncated = true;
      res.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(chunks).toString('utf8'), truncated };
}

export function httpPlugin(options: HttpGetOptions = {}): PluginModule {
  const resolve = options.resolve ?? systemResolver;
  const maxBytes = options.maxBytes ?? HTTP_GET_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? 5;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    name: 'http',
    version: '1.0.0',
    actions: [
      {
        name: 'http.get',
        description:
          'Fetch a URL with HTTP GET. Only hosts on the agent allow-list; answers status, headers and the body as text (truncated at 1 MiB).',
        parameters: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: { url: { type: 'string', minLength: 1, maxLength: 4096 } },
        },
        timeoutMs: timeoutMs + 1_000,
        async handler(ctx, args) {
          const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
          let url: URL;
          try {
            url = new URL(String(args.url));
          } catch {
            throw refused(`"${String(args.url)}" is not a valid URL`);
          }
          for (let hop = 0; ; hop++) {
            const address = await vet(url, ctx.agent, resolve);
            const res = await request(url, address, signal).catch((error: Error) => {
              throw new ActionError(`GET ${url.origin} failed: ${error.message}`, 'failed');
            });
            const location = res.headers.location;
            if (REDIRECTS.has(res.statusCode ?? 0) && location) {
              res.destroy();
              if (hop >= maxRedirects) throw new ActionError(`More than ${maxRedirects} redirects`, 'failed');
              try {
                url = new URL(location, url);
              } catch {
                throw new ActionError(`Redirect to an invalid URL: ${location}`, 'failed');
              }
              continue;
            }
            const { body, truncated } = await readBody(res, maxBytes);
            const headers: Record<string, string> = {};
            for (const name of KEPT_HEADERS) {
              const value = res.headers[name];
              if (typeof value === 'string') headers[name] = value;
            }
            return { url: url.toString(), status: res.statusCode, headers, body, truncated };
          }
        },
      },
    ],
  };
}
