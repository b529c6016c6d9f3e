import { useState } from 'preact/hooks';
import { get, type Page, query } from '../api';
import { ErrorNote, Field, ListTable, PageHeader, Pager, When } from '../components';
import { useAction, useResource } from '../hooks';

interface AuditRow {
  id: string;
  seq: number | null;
  userId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: Record<string, unknown>;
  ipAddress: string | null;
  createdAt: string;
}
interface Verification {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
  reason?: string;
}

const LIMIT = 50;
const asInstant = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function AuditPage() {
  const [filters, setFilters] = useState({ action: '', resourceType: '', userId: '', from: '', to: '' });
  const [offset, setOffset] = useState(0);
  const rows = useResource<Page<AuditRow>>(
    `/api/audit${query({
      action: filters.action,
      resourceType: filters.resourceType,
      userId: filters.userId,
      from: asInstant(filters.from),
      to: asInstant(filters.to),
      limit: LIMIT,
      offset,
    })}`,
  );
  const [verification, setVerification] = useState<Verification>();
  const verify = useAction(async () => setVerification(await get<Verification>('/api/audit/verify')));
  const set = (key: keyof typeof filters) => (e: { currentTarget: { value: string } }) => {
    setFilters({ ...filters, [key]: e.currentTarget.value });
    setOffset(0);
  };
  return (
    <>
      <PageHeader title="Audit log">
        <button type="button" onClick={() => verify.run()} disabled={verify.busy}>
          Verify the chain
        </button>
      </PageHeader>
      {verification && (
        <p role="status" class={verification.ok ? 'note ok' : 'error'}>
          {verification.ok
            ? `The chain is intact: ${verification.checked} rows checked.`
            : `The chain is broken at ${verification.firstBrokenId ?? '?'}: ${verification.reason ?? ''} (${verification.checked} rows checked).`}
        </p>
      )}
      <ErrorNote error={verify.error} />
      <form class="filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <Field label="Action">
          <input value={filters.action} onChange={set('action')} placeholder="e.g. task.create" />
        </Field>
        <Field label="Resource type">
          <input value={filters.resourceType} onChange={set('resourceType')} placeholder="e.g. agent" />
        </Field>
        <Field label="User id">
          <input value={filters.userId} onChange={set('userId')} />
        </Field>
        <Field label="From">
          <input type="datetime-local" value={filters.from} onChange={set('from')} />
        </Field>
        <Field label="To">
          <input type="datetime-local" value={filters.to} onChange={set('to')} />
        </Field>
      </form>
      <ErrorNote error={rows.error} />
      <ListTable
        caption="Audit rows"
        empty="No audit rows match."
        columns={['#', 'When', 'Action', 'Resource', 'User', 'IP', 'Details']}
        items={rows.data?.items}
        footer={
          rows.data && <Pager offset={offset} limit={LIMIT} total={rows.data.total} onChange={setOffset} />
        }
        row={(r) => (
          <tr key={r.id}>
            <td>{r.seq ?? '—'}</td>
            <td>
              <When at={r.createdAt} />
            </td>
            <td>{r.action}</td>
            <td>
              {r.resourceType}
              {r.resourceId ? ` ${r.resourceId}` : ''}
            </td>
            <td class="mono">{r.userId?.slice(0, 8) ?? '—'}</td>
            <td>{r.ipAddress ?? '—'}</td>
            <td class="mono small">{JSON.stringify(r.details)}</td>
          </tr>
        )}
      />
    </>
  );
}
