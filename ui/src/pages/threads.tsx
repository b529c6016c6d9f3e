import { useState } from 'preact/hooks';
import { type Page, post, type Task } from '../api';
import { Empty, ErrorNote, Field, Link, PageHeader, Status, When } from '../components';
import { useAction, useResource } from '../hooks';
import { navigate } from '../router';
import { useCan } from '../session';
import { useTokenStream } from './taskDetail';
import { useAgents } from './tasks';

interface Thread {
  threadId: string;
  agentId: string;
  status: 'idle' | 'busy';
  createdAt: string;
  updatedAt: string;
  messages?: Array<{ role: string; content: string; taskId?: string | null; createdAt: string }>;
}

/** Conversations with an agent (SPEC §12). */
export function ThreadsPage() {
  const can = useCan();
  const threads = useResource<Page<Thread>>('/api/threads?limit=100', (e) => e.type.startsWith('task:'));
  const agents = useAgents();
  const [agentId, setAgentId] = useState('');
  const start = useAction(async () => {
    const active = agents.list.filter((a) => a.status === 'active');
    const thread = await post<Thread>('/api/threads', { agentId: agentId || active[0]?.agentId });
    navigate(`/threads/${encodeURIComponent(thread.threadId)}`);
  });
  return (
    <>
      <PageHeader title="Threads" />
      {can('task:create') && (
        <form
          class="card form inline"
          aria-label="New thread"
          onSubmit={(e) => {
            e.preventDefault();
            start.run();
          }}
        >
          <Field label="Agent to talk to">
            <select value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
              {agents.list
                .filter((a) => a.status === 'active')
                .map((a) => (
                  <option key={a.id} value={a.agentId}>
                    {a.agentId}
                  </option>
                ))}
            </select>
          </Field>
          <button type="submit" class="primary" disabled={start.busy}>
            New thread
          </button>
          <ErrorNote error={start.error} />
        </form>
      )}
      <ErrorNote error={threads.error} />
      {threads.data?.items.length === 0 && <Empty>No threads yet.</Empty>}
      {threads.data && threads.data.items.length > 0 && (
        <ul>
          {threads.data.items.map((t) => (
            <li key={t.threadId}>
              <Link to={`/threads/${encodeURIComponent(t.threadId)}`}>{t.threadId.slice(0, 8)}</Link> with{' '}
              {t.agentId} <Status value={t.status} /> <When at={t.updatedAt} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A chat view: the history, and the answer streaming in as the agent writes it. */
export function ThreadPage({ threadId }: { threadId: string }) {
  const can = useCan();
  const path = `/api/threads/${encodeURIComponent(threadId)}`;
  const [pending, setPending] = useState<Task>();
  const thread = useResource<Thread>(path, (e) => e.type.startsWith('task:') && e.taskId === pending?.taskId);
  const [content, setContent] = useState('');
  const send = useAction(async () => {
    const task = await post<Task>(`${path}/messages`, { content, multitask: 'enqueue' });
    setContent('');
    setPending(task);
  });
  const streaming = useTokenStream(pending?.taskId ?? '', Boolean(pending) && thread.data?.status !== 'idle');
  const t = thread.data;
  return (
    <>
      <PageHeader title={`Thread ${threadId.slice(0, 8)}`} />
      <ErrorNote error={thread.error} />
      {t && (
        <section class="card chat" aria-label="Conversation" aria-live="polite">
          {(t.messages ?? [])
            .filter((m) => m.role === 'user' || m.role === 'assistant')
            .map((m, i) => (
              <p key={`${m.createdAt}-${i}`} class={`bubble ${m.role}`}>
                <span class="sr-only">{m.role === 'user' ? 'You' : t.agentId}: </span>
                {m.content}
              </p>
            ))}
          {streaming && t.status !== 'idle' && <p class="bubble assistant">{streaming}</p>}
        </section>
      )}
      {t && can('task:create') && (
        <form
          class="form inline"
          aria-label="Send a message"
          onSubmit={(e) => {
            e.preventDefault();
            send.run();
          }}
        >
          <Field label="Message">
            <input required value={content} onInput={(e) => setContent(e.currentTarget.value)} />
          </Field>
          <button type="submit" class="primary" disabled={send.busy}>
            Send
          </button>
          <ErrorNote error={send.error} />
        </form>
      )}
    </>
  );
}
