import type { Queryable } from '../../../db/index.js';
import type { ChatMessage } from '../../providers/types.js';

/** Appends a completed turn's messages in order (one statement) and marks the thread active. */
export async function appendMessages(
  tx: Queryable,
  threadId: string,
  taskId: string,
  messages: ChatMessage[],
): Promise<void> {
  await tx.query(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb)
         AS i(ord int, role text, content text, tool_calls jsonb, tool_call_id text)
     ), appended AS (
       INSERT INTO thread_messages (thread_id, role, content, tool_calls, tool_call_id, task_id)
       SELECT $1, role, content, tool_calls, tool_call_id, $3 FROM input ORDER BY ord
       RETURNING id
     )
     UPDATE threads SET updated_at = CURRENT_TIMESTAMP WHERE id = $1 AND (SELECT count(*) FROM appended) >= 0`,
    [
      threadId,
      JSON.stringify(
        messages.map((m, i) => ({
          ord: i,
          role: m.role,
          content: m.content,
          tool_calls: m.toolCalls ?? null,
          tool_call_id: m.toolCallId ?? null,
        })),
      ),
      taskId,
    ],
  );
}
