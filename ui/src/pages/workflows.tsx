import { useState } from 'preact/hooks';
import { type Page, post, type Workflow, type WorkflowRun } from '../api';
import {
  Disclosure,
  Empty,
  ErrorNote,
  Field,
  Json,
  Link,
  ListTable,
  PageHeader,
  Section,
  Status,
  When,
} from '../components';
import { Dag } from '../dag';
import { useAction, useResource } from '../hooks';
import { navigate } from '../router';
import { useCan } from '../session';

const EXAMPLE = JSON.stringify(
  {
    workflowId: 'brief',
    name: 'Research brief',
    definition: {
      steps: [
        { id: 'research', agentId: 'my-agent', input: { prompt: 'facts about {{input.topic}}' } },
        { id: 'outline', agentId: 'my-agent', input: { prompt: 'outline of {{input.topic}}' } },
        {
          id: 'write',
          agentId: 'my-agent',
          dependsOn: ['research', 'outline'],
          input: { prompt: '{{steps.research.output.text}} {{steps.outline.output.text}}' },
        },
      ],
    },
  },
  null,
  2,
);

/** Parses JSON typed into a textarea, answering a readable error for the form. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`Not valid JSON: ${(e as Error).message}`);
  }
}

export function WorkflowsPage() {
  const can = useCan();
  const workflows = useResource<Page<Workflow>>('/api/workflows?limit=200', (e) =>
    e.type.startsWith('workflow:'),
  );
  const [creating, setCreating] = useState(false);
  const [text, setText] = useState(EXAMPLE);
  const create = useAction(async () => {
    const created = await post<Workflow>('/api/workflows', parseJson(text));
    navigate(`/workflows/${encodeURIComponent(created.workflowId)}`);
  });
  return (
    <>
      <PageHeader title="Workflows">
        {can('workflow:manage') && (
          <Disclosure primary open={creating} onToggle={setCreating}>
            New workflow
          </Disclosure>
        )}
      </PageHeader>
      {creating && (
        <form
          class="card form"
          aria-label="New workflow"
          onSubmit={(e) => {
            e.preventDefault();
            create.run();
          }}
        >
          <Field label="Workflow (JSON)" hint="steps with ids, agents, inputs and dependsOn">
            <textarea rows={16} class="code" value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </Field>
          <ErrorNote error={create.error} />
          <button type="submit" class="primary" disabled={create.busy}>
            Create workflow
          </button>
        </form>
      )}
      <ErrorNote error={workflows.error} />
      <ListTable
        caption="Workflows"
        empty="No workflows yet."
        columns={['Workflow', 'Name', 'Steps', 'Version', 'Updated']}
        items={workflows.data?.items}
        row={(w) => (
          <tr key={w.workflowId}>
            <td>
              <Link to={`/workflows/${encodeURIComponent(w.workflowId)}`}>{w.workflowId}</Link>
            </td>
            <td>{w.name}</td>
            <td>{w.definition.steps.length}</td>
            <td>{w.version}</td>
            <td>
              <When at={w.updatedAt} />
            </td>
          </tr>
        )}
      />
    </>
  );
}

export function WorkflowDetailPage({ workflowId }: { workflowId: string }) {
  const can = useCan();
  const workflow = useResource<Workflow>(`/api/workflows/${encodeURIComponent(workflowId)}`);
  const runs = useResource<Page<WorkflowRun>>(
    `/api/workflows/${encodeURIComponent(workflowId)}/runs?limit=20`,
    (e) => e.type.startsWith('workflow:run:'),
  );
  const [input, setInput] = useState('{\n  "topic": "queues"\n}');
  const start = useAction(async () => {
    const run = await post<WorkflowRun>(`/api/workflows/${encodeURIComponent(workflowId)}/runs`, {
      input: parseJson(input),
    });
    navigate(`/runs/${run.runId}`);
  });
  const w = workflow.data;
  return (
    <>
      <PageHeader title={`Workflow ${workflowId}`} />
      <ErrorNote error={workflow.error} />
      {w && (
        <>
          <Section title={`${w.name} (version ${w.version})`}>
            {w.description && <p>{w.description}</p>}
            <div class="dag-frame">
              <Dag steps={w.definition.steps} />
            </div>
          </Section>
          {can('workflow:run') && (
            <form
              class="card form"
              aria-label="Start a run"
              onSubmit={(e) => {
                e.preventDefault();
                start.run();
              }}
            >
              <h2>Start a run</h2>
              <Field label="Run input (JSON)">
                <textarea
                  rows={4}
                  class="code"
                  value={input}
                  onInput={(e) => setInput(e.currentTarget.value)}
                />
              </Field>
              <ErrorNote error={start.error} />
              <button type="submit" class="primary" disabled={start.busy}>
                Start run
              </button>
            </form>
          )}
          <Section title="Runs">
            {runs.data?.items.length ? (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Started</th>
                    <th scope="col">Finished</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.data.items.map((r) => (
                    <tr key={r.runId}>
                      <td>
                        <Link to={`/runs/${r.runId}`}>{r.runId.slice(0, 8)}</Link>
                      </td>
                      <td>
                        <Status value={r.status} />
                      </td>
                      <td>
                        <When at={r.createdAt} />
                      </td>
                      <td>
                        <When at={r.completedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No runs yet.</Empty>
            )}
          </Section>
          <Section title="Definition">
            <Json label="Workflow definition" value={w.definition} />
          </Section>
        </>
      )}
    </>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const can = useCan();
  const path = `/api/workflow-runs/${encodeURIComponent(runId)}`;
  const run = useResource<WorkflowRun>(
    path,
    (e) => e.type.startsWith('workflow:') || e.type.startsWith('task:'),
  );
  const workflow = useResource<Workflow>(
    run.data ? `/api/workflows/${encodeURIComponent(run.data.workflowId)}` : null,
  );
  const cancel = useAction(async () => {
    await post(`${path}/cancel`);
    run.reload();
  });
  const r = run.data;
  const status = Object.fromEntries((r?.steps ?? []).map((s) => [s.stepId, s.status]));
  return (
    <>
      <PageHeader title={`Run ${runId.slice(0, 8)}`}>
        {r && r.status === 'running' && can('workflow:run') && (
          <button type="button" class="danger" onClick={() => cancel.run()} disabled={cancel.busy}>
            Cancel run
          </button>
        )}
      </PageHeader>
      <ErrorNote error={run.error ?? cancel.error} />
      {r && (
        <>
          <Section title="Run">
            <dl class="facts" aria-live="polite">
              <dt>Workflow</dt>
              <dd>
                <Link to={`/workflows/${encodeURIComponent(r.workflowId)}`}>{r.workflowId}</Link>
              </dd>
              <dt>Status</dt>
              <dd data-testid="run-status">
                <Status value={r.status} />
              </dd>
              <dt>Started</dt>
              <dd>
                <When at={r.createdAt} />
              </dd>
              <dt>Finished</dt>
              <dd>
                <When at={r.completedAt} />
              </dd>
              {r.error && (
                <>
                  <dt>Error</dt>
                  <dd class="error-text">{r.error}</dd>
                </>
              )}
            </dl>
            {workflow.data && (
              <div class="dag-frame">
                <Dag steps={workflow.data.definition.steps} status={status} />
              </div>
            )}
          </Section>
          <Section title="Steps">
            <table>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Status</th>
                  <th scope="col">Task</th>
                </tr>
              </thead>
              <tbody>
                {r.steps.map((s) => (
                  <tr key={s.stepId}>
                    <td>{s.stepId}</td>
                    <td>
                      <Status value={s.status} />
                    </td>
                    <td>
                      {s.taskId ? <Link to={`/tasks/${encodeURIComponent(s.taskId)}`}>{s.taskId}</Link> : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title="Output">
            <Json label="Run output" value={r.output} />
          </Section>
        </>
      )}
    </>
  );
}
