/**
 * The typed events of SPEC §5. Every event carries its type, a payload and where it came from;
 * `taskId`/`ownerId` let the event stream filter what a caller may see.
 */
export const EVENT_TYPES = [
  'engine:initialized',
  'engine:started',
  'engine:stopped',
  'agent:created',
  'agent:updated',
  'agent:deleted',
  'agent:execution:started',
  'task:created',
  'task:started',
  'task:completed',
  'task:failed',
  'task:retry',
  'task:cancelled',
  'task:delta',
  'task:tool_call',
  'task:tool_result',
  'task:waiting',
  'task:resumed',
  'approval:requested',
  'approval:resolved',
  'plugin:loaded',
  'workflow:created',
  'workflow:updated',
  'workflow:deleted',
  'workflow:run:started',
  'workflow:run:completed',
  'workflow:run:failed',
  'workflow:run:cancelled',
  'workflow:step:started',
  'workflow:step:completed',
  'workflow:step:failed',
  'security:threat',
  'schedule:created',
  'schedule:updated',
  'schedule:deleted',
  'schedule:fired',
  'schedule:skipped',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface BusEvent<P = Record<string, unknown>> {
  /** Unique per event; lets every node drop duplicates. */
  id: string;
  type: EventType;
  payload: P;
  /** The client-visible task id, when the event is about a task. */
  taskId?: string;
  /** The user who owns the subject (the task's creator): the stream shows it to them. */
  ownerId?: string | null;
  /** Node that produced it. */
  nodeId: string;
  at: string;
}
