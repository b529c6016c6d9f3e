/**
 * A local OpenAI-compatible chat-completions server for tests: no model server is reachable here,
 * so tests start this one and script its answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
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
