/**
 * What one attempt of a task writes while it runs, as events in the log (SPEC §12): `task:delta`
 * `{taskId, attempt, seq, text}` with `seq` from 1 and no gaps per attempt, and the tool calls it
 * makes. They go to the log only (not the in-process bus): a delta wakes no long-poll and costs no
 * Redis publish, and the log batches them.
 */
import type { Task } from '../../domain.js';
import type { StreamSink } from '../providers/types.js';
import type { EventLog } from './eventLog.js';

export function attemptStream(log: EventLog, task: Task, attempt: number): StreamSink {
  const scope = { taskId: task.taskId, ownerId: task.createdBy };
  let seq = 0;
  return {
    delta(text) {
      if (!text) return;
      seq += 1;
      log.append({ type: 'task:delta', ...scope, payload: { taskId: task.taskId, attempt, seq, text } });
    },
    toolCall(call) {
      log.append({
        type: 'task:tool_call',
        ...scope,
        payload: {
          taskId: task.taskId,
          attempt,
          callId: call.id,
          name: call.name,
          arguments: call.arguments,
        },
      });
    },
    toolResult(call) {
      log.append({
        type: 'task:tool_result',
        ...scope,
        payload: {
          taskId: task.taskId,
          attempt,
          callId: call.id,
          name: call.name,
          ok: call.error === undefined,
          ...(call.error !== undefined ? { error: call.error } : {}),
        },
      });
    },
  };
}
