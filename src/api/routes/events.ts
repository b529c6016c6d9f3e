import { EVENT_TYPES, type EventType } from '../../core/events.js';
import { validation } from '../../errors.js';

export { HEARTBEAT_MS } from '../sse.js';

/** `task:completed,workflow:*` → the concrete event types; unknown names are a 400. */
export function parseTypes(raw: string | undefined): EventType[] | undefined {
  if (!raw?.trim()) return undefined;
  const types = new Set<EventType>();
  for (const name of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const matches = name.endsWith('*')
      ? EVENT_TYPES.filter((t) => t.startsWith(name.slice(0, -1)))
      : EVENT_TYPES.filter((t) => t === name);
    if (!matches.length) throw validation(`Unknown event type: ${name}`, { field: 'types' });
    for (const t of matches) types.add(t);
  }
  return [...types];
}
