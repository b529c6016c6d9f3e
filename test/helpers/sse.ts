import http from 'node:http';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  status: Promise<number>;
  /** Resolves when the server ends the stream (or the connection drops). */
  ended: Promise<void>;
  events: SseEvent[];
  /** Resolves once `n` events have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

/** A minimal Server-Sent Events client over node:http, for tests. */
export function connectSse(url: string, headers: Record<string, string> = {}): SseClient {
  const events: SseEvent[] = [];
  const waiters: Array<() => void> = [];
  let statusResolve!: (n: number) => void;
  const status = new Promise<number>((r) => (statusResolve = r));
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => (endedResolve = r));
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    statusResolve(res.statusCode ?? 0);
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            event.data += line.slice(6);
            hasData = true;
          }
        }
        if (hasData) events.push(event);
        end = buffer.indexOf('\n\n');
      }
      for (const w of waiters.splice(0)) w();
    });
    res.on('end', () => endedResolve());
    res.on('close', () => endedResolve());
  });
  req.on('error', () => endedResolve());
  return {
    status,
    ended,
    events,
    waitFor(n, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${events.length} of ${n} events arrived`)),
          timeoutMs,
        );
        const check = () => {
          if (events.length >= n) {
            clearTimeout(timer);
            resolve(events.slice(0, n));
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () => req.destroy(),
  };
}
