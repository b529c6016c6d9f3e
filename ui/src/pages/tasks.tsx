import { useState } from 'preact/hooks';
import { type Agent, type Page, post, query, type Task } from '../api';
import { ErrorNote, Field, Link, ListTable, PageHeader, Pager, Status, When } from '../components';
import { useAction, useResource } from '../hooks';
import { navigate, useLocation } from '../router';
import { useCan } from '../session';

const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'];
const LIMIT = 50;

/** A date input's day as the ISO instant starting it (local midnight), or undefined. */
const dayStart = (day: string, plus = 0) => {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + plus);
  return d.toISOString();
};

export const taskEvent = (e: { type: string }) => e.type.startsWith('task:');

/**
 * The agents, for pickers and to name a task's agent: a task points at its agent by UUID
 * (`agentId` today, `agentUuid` once `agentId` becomes the human id, SPEC §14) — both resolve.
 */
export function useAgents() {
  const agents = useResource<Page<Agent>>('/api/agents?limit=500');
  const list = agents.data?.items ?? [];
  const byKey = new Map<string, Agent>();
  for (const a of list) {
    byKey.set(a.id, a);
    byKey.set(a.agentId, a);
  }
  const of = (task: Task): Agent | undefined =>
    byKey.get(task.agentUuid ?? '') ?? byKey.get(task.agentId ?? '');
  return { list, of };
}

export function TasksPage() {
  const can = useCan();
  const { search } = useLocation();
  const [filters, setFilters] = useState({
    status: search.get('status') ?? '',
    agentId: search.get('agentId') ?? '',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
  });
  const [offset, setOffset] = useState(0);
  const agents = useAgents();
  const range = { from: dayStart(filters.from), to: dayStart(filters.to, 1) };
  const tasks = useResource<Page<Task>>(
    `/api/tasks${query({ status: filters.status, agentId: filters.agentId, ...range, limit: LIMIT, offset })}`,
    taskEvent,
  );
  const set = (key: keyof typeof filters) => (e: { currentTarget: { value: string } }) => {
    const next = { ...filters, [key]: e.currentTarget.value };
    setFilters(next);
    setOffset(0);
    navigate(`/tasks${query(next)}`, true);
  };
  const [retried, setRetried] = useState<number>();
  const bulk = useAction(async () => {
    const body = { status: filters.status, agentId: filters.agentId || undefined, ...range };
    const answer = await post<{ retried: number }>('/api/tasks/retry', body);
    setRetried(answer.retried);
    tasks.reload();
  });
  const retryable = filters.status === 'failed' || filters.status === 'cancelled';

  return (
    <>
      <PageHeader title="Tasks">
        {can('task:create') && retryable && (
          <button type="button" onClick={() => bulk.run()} disabled={bulk.busy}>
            Retry all {filters.status} matching
          </button>
        )}
      </PageHeader>
      {can('task:create') && <SubmitTask agents={agents.list.filter((a) => a.status === 'active')} />}
      <form class="filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          <select value={filters.status} onChange={set('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Agent">
          <select value={filters.agentId} onChange={set('agentId')}>
            <option value="">any</option>
            {agents.list.map((a) => (
              <option key={a.id} value={a.agentId}>
                {a.agentId}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Created from">
          <input type="date" value={filters.from} onChange={set('from')} />
        </Field>
        <Field label="Created to">
          <input type="date" value={filters.to} onChange={set('to')} />
        </Field>
      </form>
      {retried !== undefined && (
        <p role="status" class="note">
          {retried} task{retried === 1 ? '' : 's'} put back in the queue.
        </p>
      )}
      <ErrorNote error={tasks.error ?? bulk.error} />
      <ListTable
        caption="Tasks"
        empty="No tasks match."
        columns={['Task', 'Agent', 'Status', 'Attempts', 'Created']}
        items={tasks.data?.items}
        footer={
          tasks.data && <Pager offset={offset} limit={LIMIT} total={tasks.data.total} onChange={setOffset} />
        }
        row={(t) => (
          <tr key={t.id} data-task={t.taskId}>
            <td>
              <Link to={`/tasks/${encodeURIComponent(t.taskId)}`}>{t.taskId}</Link>
            </td>
            <td>{agents.of(t)?.agentId ?? t.agentId ?? '—'}</td>
            <td>
              <Status value={t.status} />
            </td>
            <td>{t.retryCount}</td>
            <td>
              <When at={t.createdAt} />
            </td>
          </tr>
        )}
      />
    </>
  );
}

function SubmitTask({ agents }: { agents: Agent[] }) {
  const [agentId, setAgentId] = useState('');
  const [prompt, setPrompt] = useState('');
  const action = useAction(async () => {
    const task = await post<Task>('/api/tasks', {
      agentId: agentId || agents[0]?.agentId,
      input: { prompt },
    });
    navigate(`/tasks/${encodeURIComponent(task.taskId)}`);
  });
  if (!agents.length) return null;
  return (
    <form
      class="card form inline"
      aria-label="Submit a task"
      onSubmit={(e) => {
        e.preventDefault();
        action.run();
      }}
    >
      <Field label="Agent for the new task">
        <select value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
          {agents.map((a) => (
            <option key={a.id} value={a.agentId}>
              {a.agentId}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Prompt">
        <input required value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
      </Field>
      <button type="submit" class="primary" disabled={action.busy}>
        Submit task
      </button>
      <ErrorNote error={action.error} />
    </form>
  );
}
