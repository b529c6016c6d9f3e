/**
 * A local OpenAI-compatible chat-completions server for tests: no model server is reachable here,
 * so tests start this one and script its answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: Array<{ role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string } }>;
}

export type ChatHandler = (
  body: ChatRequest,
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<ChatReply | undefined> | ChatReply | undefined;

export interface ChatReply {
  status?: number;
  content?: string;
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** When streaming: how the content is cut into deltas (default: word by word). */
  chunks?: string[];
  /** When streaming: pause between chunks. */
  chunkDelayMs?: number;
}

/** Word-by-word pieces (each with the whitespace before it) that join back to `text`. */
export function splitWords(text: string): string[] {
  return (
    text
      .match(/\s*\S+/g)
      ?.map((w, i, all) => (i === all.length - 1 ? w + text.slice(all.join('').length) : w)) ?? [text]
  );
}

/**
 * The chunks of a streamed completion (`stream: true`), as OpenAI sends them: a role chunk, the
 * content deltas, tool-call deltas (id and name first, then the arguments in two pieces), the
 * finish reason, and — with `stream_options.include_usage` — a last chunk with `usage` and no choices.
 */
export function streamChunks(reply: ChatReply, includeUsage: boolean): unknown[] {
  const base = {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: 'test-model',
  };
  const chunk = (delta: unknown, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const out: unknown[] = [chunk({ role: 'assistant', content: '' })];
  const content = reply.content ?? '';
  for (const piece of reply.chunks ?? (content ? splitWords(content) : []))
    out.push(chunk({ content: piece }));
  (reply.toolCalls ?? []).forEach((c, index) => {
    const half = Math.floor(c.arguments.length / 2);
    out.push(
      chunk({
        tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }],
      }),
    );
    out.push(chunk({ tool_calls: [{ index, function: { arguments: c.arguments.slice(0, half) } }] }));
    out.push(chunk({ tool_calls: [{ index, function: { arguments: c.arguments.slice(half) } }] }));
  });
  out.push(chunk({}, reply.toolCalls ? 'tool_calls' : 'stop'));
  if (includeUsage) {
    out.push({
      ...base,
      choices: [],
      usage: reply.usage ?? { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  }
  return out;
}

export function completion(reply: ChatReply) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'test-model',
    choices: [
      {
        index: 0,
        finish_reason: reply.toolCalls ? 'tool_calls' : 'stop',
        message: {
          role: 'assistant',
          content: reply.content ?? null,
          ...(reply.toolCalls
            ? {
                tool_calls: reply.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function',
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        },
      },
    ],
    usage: reply.usage ?? { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

export async function startChatServer(handler: ChatHandler) {
  const requests: ChatRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as ChatRequest;
    requests.push(body);
    const reply = await handler(body, req, res);
    if (!reply || res.writableEnded) return;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    const status = reply.status ?? 200;
    if (status === 200 && body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const chunk of streamChunks(reply, body.stream_options?.include_usage === true)) {
        if (res.destroyed) return;
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        status === 200 ? completion(reply) : { error: { message: reply.content ?? 'server error' } },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
