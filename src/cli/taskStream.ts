/**
 * Follows one task's stream for the CLI and hands each text delta to `onText` as it arrives:
 * through the server (SSE on `/api/tasks/:taskId/stream`, resuming with Last-Event-ID when the
 * connection drops) or, on the database, through the event log itself.
 */
import { follow, resumePoint } from '../core/streams/follow.js';
import type { System } from '../system.js';
import type { ApiClient } from './apiClient.js';

const TERMINAL = new Set(['task:completed', 'task:failed', 'task:cancelled']);
const MAX_RECONNECTS = 5;

interface Delta {
  attempt: number;
  seq: number;
  text: string;
}

/** Prints the final attempt's text: a retry starts the answer again, on a new line. */
function deltaPrinter(onText: (text: string) => void) {
  let attempt = 0;
  return (d: Delta) => {
    if (attempt && d.attempt !== attempt && d.seq === 1) onText('\n');
    attempt = d.attempt;
    onText(d.text);
  };
}

/** Parses SSE blocks out of a byte stream: yields {id, event, data}. */
async function* sseEvents(body: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) yield { id, event, data: data.join('\n') };
      end = buffer.indexOf('\n\n');
    }
  }
}

/** Resolves with the terminal event's type once the task's stream ends. */
export async function followTaskRemote(
  api: ApiClient,
  taskId: string,
  onText: (text: string) => void,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const print = deltaPrinter(onText);
  let lastId: string | undefined;
  for (let attempt = 0; attempt <= MAX_RECONNECTS; attempt++) {
    try {
      const res = await api.openStream(`/api/tasks/${encodeURIComponent(taskId)}/stream`, lastId, signal);
      if (!res.body) return undefined;
      for await (const e of sseEvents(res.body)) {
        if (e.id) lastId = e.id;
        if (e.event === 'task:delta') print(JSON.parse(e.data) as Delta);
        if (TERMINAL.has(e.event)) return e.event;
      }
    } catch (error) {
      if (signal?.aborted) return undefined;
      if (attempt === MAX_RECONNECTS) throw error;
    }
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  return undefined;
}

export async function followTaskLocal(
  system: System,
  taskId: string,
  onText: (text: string) => void,
): Promise<string | undefined> {
  const print = deltaPrinter(onText);
  const { after } = await resumePoint(system.eventLog, undefined);
  return new Promise((resolve) => {
    const follower = follow(system.eventLog, {
      after,
      filter: { taskId },
      accept: (e) => e.taskId === taskId,
      send: (e) => {
        if (e.type === 'task:delta') print(e.payload as unknown as Delta);
        if (TERMINAL.has(e.type)) {
          follower.stop();
          resolve(e.type);
        }
      },
    });
  });
}
