import { useState } from 'preact/hooks';
import { type Agent, api, type Page, post, query } from '../api';
import {
  Confirm,
  Disclosure,
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
import { useAction, useResource } from '../hooks';
import { navigate } from '../router';
import { useCan } from '../session';

const agentEvent = (e: { type: string }) => e.type.startsWith('agent:');

export function AgentsPage() {
  const can = useCan();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState('');
  const agents = useResource<Page<Agent>>(`/api/agents${query({ q, status, limit: 200 })}`, agentEvent);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="Agents">
        {can('agent:create') && (
          <Disclosure primary open={creating} onToggle={setCreating}>
            New agent
          </Disclosure>
        )}
      </PageHeader>
      {creating && (
        <AgentForm
          onDone={(agent) => {
            setCreating(false);
            agents.reload();
            if (agent) navigate(`/agents/${agent.agentId}`);
          }}
        />
      )}
      <form class="filters" aria-label="Search agents" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search">
          <input
            type="search"
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
            placeholder="name, role, description"
          />
        </Field>
        <Field label="Status">
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="inactive">inactive</option>
            <option value="archived">archived</option>
          </select>
        </Field>
      </form>
      <ErrorNote error={agents.error} />
      <ListTable
        caption="Agents"
        empty="No agents match."
        columns={['Agent', 'Name', 'Provider', 'Status', 'Updated']}
        items={agents.data?.items}
        row={(a) => (
          <tr key={a.id}>
            <td>
              <Link to={`/agents/${encodeURIComponent(a.agentId)}`}>{a.agentId}</Link>
            </td>
            <td>{a.name}</td>
            <td>
              {a.modelProvider}
              {a.modelName ? ` / ${a.modelName}` : ''}
            </td>
            <td>
              <Status value={a.status} />
            </td>
            <td>
              <When at={a.updatedAt} />
            </td>
          </tr>
        )}
      />
    </>
  );
}

/** Create (no `agent`) or edit an agent. */
function AgentForm({ agent, onDone }: { agent?: Agent; onDone: (agent?: Agent) => void }) {
  const [form, setForm] = useState({
    agentId: agent?.agentId ?? '',
    name: agent?.name ?? '',
    role: agent?.role ?? '',
    description: agent?.description ?? '',
    modelProvider: agent?.modelProvider ?? 'echo',
    modelName: agent?.modelName ?? '',
  });
  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [key]: e.currentTarget.value });
  const action = useAction(async () => {
    const body = {
      name: form.name,
      role: form.role,
      description: form.description || null,
      modelProvider: form.modelProvider,
      modelName: form.modelName || null,
    };
    const saved = agent
      ? await api<Agent>('PATCH', `/api/agents/${encodeURIComponent(agent.agentId)}`, body)
      : await post<Agent>('/api/agents', { agentId: form.agentId, ...body });
    onDone(saved);
  });
  return (
    <form
      class="card form"
      aria-label={agent ? 'Edit agent' : 'New agent'}
      onSubmit={(e) => {
        e.preventDefault();
        action.run();
      }}
    >
      {!agent && (
        <Field label="Agent id" hint="lower case letters, digits, . _ - (e.g. support-bot)">
          <input
            required
            value={form.agentId}
            onInput={set('agentId')}
            pattern="[a-z0-9][a-z0-9._\-]{1,99}"
          />
        </Field>
      )}
      <Field label="Name">
        <input required value={form.name} onInput={set('name')} />
      </Field>
      <Field label="Role prompt" hint="the agent's system message">
        <textarea required rows={3} value={form.role} onInput={set('role')} />
      </Field>
      <Field label="Description">
        <input value={form.description} onInput={set('description')} />
      </Field>
      <Field label="Model provider">
        <select value={form.modelProvider} onChange={set('modelProvider')}>
          <option value="echo">echo (built in, for trying things out)</option>
          <option value="openai">openai (any chat-completions server)</option>
        </select>
      </Field>
      <Field label="Model name">
        <input value={form.modelName} onInput={set('modelName')} placeholder="e.g. gpt-4o-mini" />
      </Field>
      <ErrorNote error={action.error} />
      <div class="buttons">
        <button type="submit" class="primary" disabled={action.busy}>
          {agent ? 'Save' : 'Create agent'}
        </button>
        <button type="button" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function AgentDetailPage({ agentId }: { agentId: string }) {
  const can = useCan();
  const path = `/api/agents/${encodeURIComponent(agentId)}`;
  const agent = useResource<Agent>(path, (e) => agentEvent(e) && e.payload.agentId === agentId);
  const [editing, setEditing] = useState(false);
  const change = useAction(async (status: Agent['status']) => {
    await api('PATCH', path, { status });
    agent.reload();
  });
  const remove = useAction(async () => {
    await api('DELETE', path);
    navigate('/agents');
  });
  const a = agent.data;
  return (
    <>
      <PageHeader title={`Agent ${agentId}`}>
        {a && can('agent:update') && (
          <>
            <Disclosure open={editing} onToggle={setEditing}>
              Edit
            </Disclosure>
            {a.status === 'active' ? (
              <button type="button" onClick={() => change.run('inactive')} disabled={change.busy}>
                Deactivate
              </button>
            ) : (
              <button type="button" onClick={() => change.run('active')} disabled={change.busy}>
                Activate
              </button>
            )}
          </>
        )}
        {a && can('agent:delete') && (
          <Confirm
            class="danger"
            question={`Delete agent ${agentId} and its tasks?`}
            onConfirm={() => remove.run()}
          >
            Delete
          </Confirm>
        )}
      </PageHeader>
      <ErrorNote error={agent.error ?? change.error ?? remove.error} />
      {editing && a && (
        <AgentForm
          agent={a}
          onDone={() => {
            setEditing(false);
            agent.reload();
          }}
        />
      )}
      {a && (
        <Section title="Details">
          <dl class="facts">
            <dt>Name</dt>
            <dd>{a.name}</dd>
            <dt>Status</dt>
            <dd>
              <Status value={a.status} />
            </dd>
            <dt>Provider</dt>
            <dd>
              {a.modelProvider}
              {a.modelName ? ` / ${a.modelName}` : ''}
            </dd>
            <dt>Description</dt>
            <dd>{a.description ?? '—'}</dd>
            <dt>Version</dt>
            <dd>{a.version}</dd>
            <dt>Created</dt>
            <dd>
              <When at={a.createdAt} />
            </dd>
            <dt>Tasks</dt>
            <dd>
              <Link to={`/tasks?agentId=${encodeURIComponent(a.agentId)}`}>This agent's tasks</Link>
            </dd>
          </dl>
          <h3>Role prompt</h3>
          <pre class="prose">{a.role}</pre>
          <h3>Actions and config</h3>
          <Json
            label="Agent actions and config"
            value={{ actions: a.actions, capabilities: a.capabilities, config: a.config }}
          />
        </Section>
      )}
    </>
  );
}
