import { useState } from 'preact/hooks';
import { query } from '../api';
import { Empty, ErrorNote, Field, formatNumber, PageHeader } from '../components';
import { useResource } from '../hooks';

interface Usage {
  items: Array<{ key: string; tasks: number; inputTokens: number; outputTokens: number; costUsd: number }>;
  from: string;
  to: string;
}

/** Tokens, cost and tasks by agent, user, model or day (SPEC §14). */
export function UsagePage() {
  const [groupBy, setGroupBy] = useState('agent');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const usage = useResource<Usage>(
    `/api/usage${query({
      groupBy,
      from: from ? new Date(`${from}T00:00:00`).toISOString() : undefined,
      to: to ? new Date(`${to}T00:00:00`).toISOString() : undefined,
    })}`,
    (e) => e.type === 'task:completed' || e.type === 'task:failed',
  );
  const total = (usage.data?.items ?? []).reduce((sum, i) => sum + (i.costUsd ?? 0), 0);
  return (
    <>
      <PageHeader title="Usage and cost" />
      <form class="filters" aria-label="Usage filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Group by">
          <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value)}>
            {['agent', 'user', 'model', 'day'].map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </Field>
        <Field label="From">
          <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label="To">
          <input type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </Field>
      </form>
      <ErrorNote error={usage.error} />
      {usage.data?.items.length === 0 && <Empty>No usage in this period.</Empty>}
      {usage.data && usage.data.items.length > 0 && (
        <table>
          <caption>Total cost: ${total.toFixed(4)}</caption>
          <thead>
            <tr>
              <th scope="col">{groupBy}</th>
              <th scope="col">Tasks</th>
              <th scope="col">Input tokens</th>
              <th scope="col">Output tokens</th>
              <th scope="col">Cost (USD)</th>
            </tr>
          </thead>
          <tbody>
            {usage.data.items.map((i) => (
              <tr key={i.key}>
                <td>{i.key}</td>
                <td>{i.tasks}</td>
                <td>{formatNumber(i.inputTokens)}</td>
                <td>{formatNumber(i.outputTokens)}</td>
                <td>{(i.costUsd ?? 0).toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
