/**
 * The server's event stream (`/api/events`, SSE, authenticated by the session cookie): one
 * EventSource per signed-in console, fanned out to whatever page listens. EventSource reconnects
 * by itself; a page re-reads what it shows when an event concerns it.
 */

export interface LiveEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  taskId?: string;
}

type Listener = (event: LiveEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;

/** The event types the console reacts to (the stream only sends these). */
const TYPES = [
  'task:created',
  'task:started',
  'task:completed',
  'task:failed',
  'task:retry',
  'task:cancelled',
  'agent:created',
  'agent:updated',
  'agent:deleted',
  'workflow:run:started',
  'workflow:run:completed',
  'workflow:run:failed',
  'workflow:run:cancelled',
  'workflow:step:started',
  'workflow:step:completed',
  'workflow:step:failed',
  'security:threat',
];

export function connectLive(): void {
  if (source) return;
  source = new EventSource('/api/events');
  for (const type of TYPES) {
    source.addEventListener(type, (message) => {
      let event: LiveEvent;
      try {
        event = JSON.parse((message as MessageEvent<string>).data);
      } catch {
        return;
      }
      for (const l of listeners) l(event);
    });
  }
}

export function disconnectLive(): void {
  source?.close();
  source = undefined;
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
