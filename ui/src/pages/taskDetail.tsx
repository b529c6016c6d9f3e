import { useEffect, useState } from 'preact/hooks';
import { type Execution, type Page, post, type Task } from '../api';
import { Empty, ErrorNote, Json, Link, PageHeader, Section, Status, When } from '../components';
import { useAction, useResource } from '../hooks';
import type { LiveEvent } from '../live';
import { useCan } from '../session';
import { useAgents } from './tasks';

interface ToolCall {
  name?: string;
  action?: string;
  arguments?: unknown;
  args?: unknown;
  result?: unknown;
  error?: string | null;
  [key: string]: unknown;
}

/**
 * The answer as it is written (SPEC §12 `GET /api/tasks/:taskId/stream`, `task:delta` events),
 * while the task is unfinished. A server without that route answers 404 and EventSource gives
 * up: nothing shows, the output appears when the task completes.
 */
export function useTokenStream(taskId: string, active: boolean): string {
  const [text, setText] = useState('');
  useEffect(() => {
    if (!active) return;
    const source = new EventSource(`/api/tasks/${encodeURIComponent(taskId)}/stream`);
    let sofar = '';
    const read = (message: Event) => {
      try {
        const data = JSON.parse((message as MessageEvent<string>).data);
        return (data.payload ?? data) as { text?: string };
      } catch {
        return {};
      }
    };
    source.addEventListener('task:delta', (m) => {
      sofar += read(m).text ?? '';
      setText(sofar);
    });
    // A new attempt writes its answer from the start.
    source.addEventListener('task:retry', () => {
      sofar = '';
      setText('');
    });
    return () => source.close();
  }, [taskId, active]);
  return text;
}

export function TaskDetailPage({ taskId }: { taskId: string }) {
  const can = useCan();
  const path = `/api/tasks/${encodeURIComponent(taskId)}`;
  const concerns = (e: LiveEvent) =>
    e.type.startsWith('task:') && (e.taskId === taskId || e.payload.taskId === taskId);
  const task = useResource<Task>(path, concerns);
  const executions = useResource<Page<Execution>>(
    can('execution:view') ? `${path}/executions` : null,
    concerns,
  );
  const t = task.data;
  const children = useResource<Page<Task>>(t ? `/api/tasks?parentTaskId=${t.id}&limit=100` : null, (e) =>
    e.type.startsWith('task:'),
  );
  const agents = useAgents();
  const cancel = useAction(async () => {
    await post(`${path}/cancel`);
    task.reload();
  });
  const retry = useAction(async () => {
    await post(`${path}/retry`);
    task.reload();
  });
  const streaming = useTokenStream(taskId, t?.status === 'pending' || t?.status === 'running');
  const output = t?.output as { text?: string; toolCalls?: ToolCall[]; usage?: unknown } | null | undefined;
  const agent = t ? agents.of(t) : undefined;

  return (
    <>
      <PageHeader title={`Task ${taskId}`}>
        {t && can('task:cancel') && (t.status === 'pending' || t.status === 'running') && (
          <button
            type="button"
            class="danger"
            onClick={() => cancel.run()}
            disabled={cancel.busy || t.cancelRequested}
          >
            {t.cancelRequested ? 'Cancelling…' : 'Cancel task'}
          </button>
        )}
        {t && can('task:create') && (t.status === 'failed' || t.status === 'cancelled') && (
          <button type="button" onClick={() => retry.run()} disabled={retry.busy}>
            Retry task
          </button>
        )}
      </PageHeader>
      <ErrorNote error={task.error ?? cancel.error ?? retry.error} />
      {t && (
        <>
          <Section title="Summary">
            <dl class="facts" aria-live="polite">
              <dt>Status</dt>
              <dd data-testid="task-status">
                <Status value={t.status} />
              </dd>
              <dt>Agent</dt>
              <dd>
                {agent ? (
                  <Link to={`/agents/${encodeURIComponent(agent.agentId)}`}>{agent.agentId}</Link>
                ) : (
                  '—'
                )}
              </dd>
              <dt>Attempts</dt>
              <dd>
                {t.retryCount} retries of {t.maxRetries} allowed
              </dd>
              <dt>Priority</dt>
              <dd>{t.priority}</dd>
              <dt>Created</dt>
              <dd>
                <When at={t.createdAt} />
              </dd>
              <dt>Started</dt>
              <dd>
                <When at={t.startedAt} />
              </dd>
              <dt>Finished</dt>
              <dd>
                <When at={t.completedAt} />
              </dd>
              {t.parentTaskId && (
                <>
                  <dt>Parent</dt>
                  <dd>a task of id {t.parentTaskId}</dd>
                </>
              )}
              {t.error && (
                <>
                  <dt>Error</dt>
                  <dd class="error-text">{t.error}</dd>
                </>
              )}
            </dl>
          </Section>
          {streaming && (t.status === 'pending' || t.status === 'running') && (
            <Section title="Live answer">
              <pre class="prose" aria-live="polite">
                {streaming}
              </pre>
            </Section>
          )}
          <div class="two">
            <Section title="Input">
              <Json label="Task input" value={t.input} />
            </Section>
            <Section title="Output">
              {output?.text !== undefined ? (
                <pre class="prose" data-testid="task-output">
                  {output.text}
                </pre>
              ) : (
                <Json label="Task output" value={t.output} />
              )}
              {output?.usage !== undefined && (
                <>
                  <h3>Token usage</h3>
                  <Json label="Token usage" value={output.usage} />
                </>
              )}
            </Section>
          </div>
          <Section title="Tool calls">
            {output?.toolCalls?.length ? (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Tool</th>
                    <th scope="col">Arguments</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {output.toolCalls.map((c, i) => (
                    <tr key={i}>
                      <td>{c.name ?? c.action ?? '—'}</td>
                      <td>
                        <Json label="Arguments" value={c.arguments ?? c.args} />
                      </td>
                      <td>
                        {c.error ? (
                          <span class="error-text">{c.error}</span>
                        ) : (
                          <Json label="Result" value={c.result} />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No tool calls.</Empty>
            )}
          </Section>
          {can('execution:view') && (
            <Section title="Executions">
              {executions.data?.items.length ? (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Attempt</th>
                      <th scope="col">Status</th>
                      <th scope="col">Time</th>
                      <th scope="col">Tokens</th>
                      <th scope="col">Error</th>
                      <th scope="col">At</th>
                    </tr>
                  </thead>
                  <tbody>
                    {executions.data.items.map((x, i) => (
                      <tr key={x.executionId}>
                        <td>{i + 1}</td>
                        <td>
                          <Status value={x.status} />
                        </td>
                        <td>{x.executionTimeMs ?? '—'} ms</td>
                        <td>{x.tokensUsed ?? '—'}</td>
                        <td>{x.errorMessage ?? ''}</td>
                        <td>
                          <When at={x.createdAt} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <Empty>No attempt has finished yet.</Empty>
              )}
            </Section>
          )}
          <Section title="Child tasks">
            {children.data?.items.length ? (
              <ul>
                {children.data.items.map((c) => (
                  <li key={c.id}>
                    <Link to={`/tasks/${encodeURIComponent(c.taskId)}`}>{c.taskId}</Link>{' '}
                    <Status value={c.status} />
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>No child tasks.</Empty>
            )}
          </Section>
        </>
      )}
    </>
  );
}
