/**
 * Threads and their messages (SPEC §12). A thread's `status` is derived, never stored: busy while
 * any of its tasks is pending or running.
 */
import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { notFound } from '../errors.js';
import { isUuid, pageBounds } from './sql.js';

export interface Thread {
  threadId: string;
  /** The agent's human handle. */
  agentId: string;
  status: 'idle' | 'busy';
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  metadata: Record<string, unknown>;
}

export interface ThreadMessage {
  role: 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: Array<{ id: string; name: string; arguments: unknown }>;
  toolCallId?: string;
  taskId: string | null;
  createdAt: Date;
}

interface ThreadRow {
  id: string;
  agent_handle: string;
  agent_uuid: string;
  busy: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  metadata: Record<string, unknown> | null;
}

interface MessageRow {
  role: ThreadMessage['role'];
  content: string;
  tool_calls: ThreadMessage['toolCalls'] | null;
  tool_call_id: string | null;
  task_id: string | null;
  created_at: Date;
}

const SELECT_THREAD = `
  SELECT th.id, a.agent_id AS agent_handle, th.agent_id AS agent_uuid, th.created_by, th.created_at,
         th.updated_at, th.metadata,
         EXISTS (SELECT 1 FROM tasks t WHERE t.thread_id = th.id AND t.status IN ('pending', 'running', 'waiting')) AS busy
  FROM threads th JOIN agents a ON a.id = th.agent_id`;

function toThread(row: ThreadRow): Thread & { agentUuid: string } {
  return {
    threadId: row.id,
    agentId: row.agent_handle,
    agentUuid: row.agent_uuid,
    status: row.busy ? 'busy' : 'idle',
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    metadata: row.metadata ?? {},
  };
}

export function toMessage(row: MessageRow): ThreadMessage {
  return {
    role: row.role,
    content: row.content,
    ...(row.tool_calls ? { toolCalls: row.tool_calls } : {}),
    ...(row.tool_call_id ? { toolCallId: row.tool_call_id } : {}),
    taskId: row.task_id,
    createdAt: row.created_at,
  };
}

const threadNotFound = () => notFound('Thread', 'THREAD_NOT_FOUND');

export class ThreadRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: { agentUuid: string; createdBy: string | null; metadata: Record<string, unknown> }) {
    const { rows } = await this.db.query<{ id: string }>(
      'INSERT INTO threads (agent_id, created_by, metadata) VALUES ($1, $2, $3) RETURNING id',
      [data.agentUuid, data.createdBy, JSON.stringify(data.metadata)],
    );
    return this.find(rows[0].id);
  }

  /** The thread (404 when unknown, or not the caller's when `owner` is given). */
  async find(threadId: string, owner?: string) {
    if (!isUuid(threadId)) throw threadNotFound();
    const { rows } = await this.db.query<ThreadRow>(`${SELECT_THREAD} WHERE th.id = $1`, [threadId]);
    const row = rows[0];
    if (!row || (owner !== undefined && row.created_by !== owner)) throw threadNotFound();
    return toThread(row);
  }

  async list(filter: PageRequest & { createdBy?: string }): Promise<Page<Thread>> {
    const { limit, offset } = pageBounds(filter);
    const owner = filter.createdBy ?? null;
    const [{ rows }, count] = await Promise.all([
      this.db.query<ThreadRow>(
        `${SELECT_THREAD} WHERE ($1::uuid IS NULL OR th.created_by = $1)
         ORDER BY th.updated_at DESC, th.id LIMIT $2 OFFSET $3`,
        [owner, limit, offset],
      ),
      this.db.query<{ n: string }>(
        'SELECT count(*) AS n FROM threads WHERE ($1::uuid IS NULL OR created_by = $1)',
        [owner],
      ),
    ]);
    return { items: rows.map(toThread), total: Number(count.rows[0].n), limit, offset };
  }

  async messages(threadId: string): Promise<ThreadMessage[]> {
    const { rows } = await this.db.query<MessageRow>(
      `SELECT role, content, tool_calls, tool_call_id, task_id, created_at
       FROM thread_messages WHERE thread_id = $1 ORDER BY id`,
      [threadId],
    );
    return rows.map(toMessage);
  }

  async delete(threadId: string): Promise<void> {
    await this.db.query('DELETE FROM threads WHERE id = $1', [threadId]);
  }

  /** Deletes threads idle since before `days` ago with no task pending or running; returns how many. */
  async deleteIdle(days: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM threads th
       WHERE th.updated_at < CURRENT_TIMESTAMP - make_interval(days => $1)
         AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.thread_id = th.id AND t.status IN ('pending', 'running', 'waiting'))`,
      [days],
    );
    return rowCount;
  }
}
