/**
 * One System with its HTTP app, a running queue worker and a local chat-completions server whose
 * answers each test scripts: what the end-to-end tests drive over HTTP.
 */
import type { Inject } from '../helpers/auth.js';
import { type ChatHandler, startChatServer } from '../helpers/chatServer.js';
import type { DbTarget } from '../helpers/db.js';
import { createTestSystem, type TestSystem, type TestSystemOptions } from '../helpers/system.js';

/** The task as the API answers it (the fields these tests read). */
export interface TaskJson {
  id: string;
  taskId: string;
  status: string;
  error: string | null;
  parentTaskId: string | null;
  metadata: Record<string, unknown>;
  output: { text: string; toolCalls?: Array<Record<string, unknown>>; usage: { totalTokens: number } };
}

export interface Harness {
  t: TestSystem;
  chat: Awaited<ReturnType<typeof startChatServer>>;
  /** Replaces the chat server's script. */
  answer(handler: ChatHandler): void;
  /** Creates an agent over HTTP (201 expected). */
  createAgent(body: Record<string, unknown>): Promise<void>;
  /** `POST /api/tasks`, then `GET /api/tasks/:taskId?wait=10`: the finished task. */
  runTask(agentId: string, prompt: string): Promise<TaskJson>;
  /** Every `tool` message the chat server received, in order. */
  toolMessages(): string[];
  close(): Promise<void>;
}

export async function startHarness(target: DbTarget, options: TestSystemOptions = {}): Promise<Harness> {
  let handler: ChatHandler = () => ({ content: 'no script' });
  const chat = await startChatServer((...args) => handler(...args));
  const t = await createTestSystem(
    target,
    { BSM_POLL_INTERVAL_MS: '50' },
    { queue: { backoff: { delayMs: () => 10 } }, ...options },
  );
  await t.system.queue.start();
  const inject: Inject = t.inject;
  return {
    t,
    chat,
    answer(next) {
      handler = next;
    },
    async createAgent(body) {
      const res = await inject({ method: 'POST', url: '/api/agents', payload: body });
      if (res.statusCode !== 201) throw new Error(`agent not created: ${res.statusCode} ${res.body}`);
    },
    async runTask(agentId, prompt) {
      const res = await inject({
        method: 'POST',
        url: '/api/tasks',
        payload: { agentId, input: { prompt }, maxRetries: 0 },
      });
      if (res.statusCode !== 202) throw new Error(`task not queued: ${res.statusCode} ${res.body}`);
      return (await inject(`/api/tasks/${res.json().taskId}?wait=10`)).json() as TaskJson;
    },
    toolMessages: () =>
      chat.requests.flatMap((r) => r.messages.filter((m) => m.role === 'tool').map((m) => String(m.content))),
    async close() {
      await t.close();
      await chat.close();
    },
  };
}

/** The text of the last user message of a chat request: which scripted conversation it belongs to. */
export const lastUserText = (body: { messages: Array<{ role: string; content: string | null }> }) =>
  String(body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '');
