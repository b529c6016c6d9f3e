import { useState } from 'preact/hooks';
import { type Page, post, query } from '../api';
import { Empty, ErrorNote, Field, Json, Link, PageHeader, Status, When } from '../components';
import { useAction, useResource } from '../hooks';
import { useUser } from '../session';

interface Approval {
  approvalId: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
  kind: 'tool_call' | 'workflow_step';
  taskId?: string | null;
  runId?: string | null;
  stepId?: string | null;
  action?: string | null;
  args?: unknown;
  message?: string | null;
  comment?: string | null;
  createdAt: string;
  expiresAt: string;
}

/** The approvals inbox (SPEC §11): approve (with edited arguments) or reject what waits on people. */
export function ApprovalsPage() {
  const [status, setStatus] = useState('pending');
  const approvals = useResource<Page<Approval>>(`/api/approvals${query({ status, limit: 100 })}`, (e) =>
    e.type.startsWith('approval:'),
  );
  return (
    <>
      <PageHeader title="Approvals" />
      <form class="filters" aria-label="Filter approvals" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">any</option>
            {['pending', 'approved', 'rejected', 'expired'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
      </form>
      <ErrorNote error={approvals.error} />
      {approvals.data?.items.length === 0 && <Empty>Nothing waits for a decision.</Empty>}
      {approvals.data?.items.map((a) => (
        <ApprovalCard key={a.approvalId} approval={a} onDecided={approvals.reload} />
      ))}
    </>
  );
}

function ApprovalCard({ approval: a, onDecided }: { approval: Approval; onDecided: () => void }) {
  const user = useUser();
  const [comment, setComment] = useState('');
  const [args, setArgs] = useState(a.args === undefined ? '' : JSON.stringify(a.args, null, 2));
  const decide = useAction(async (verdict: 'approve' | 'reject') => {
    const body: Record<string, unknown> = { comment: comment || undefined };
    if (verdict === 'approve' && a.kind === 'tool_call' && args.trim()) {
      const edited = JSON.parse(args);
      if (JSON.stringify(edited) !== JSON.stringify(a.args)) body.args = edited;
    }
    await post(`/api/approvals/${encodeURIComponent(a.approvalId)}/${verdict}`, body);
    onDecided();
  });
  const title = a.kind === 'tool_call' ? `Tool call ${a.action ?? ''}` : `Workflow step ${a.stepId ?? ''}`;
  return (
    <section class="card" aria-label={title}>
      <h2>
        {title} <Status value={a.status} />
      </h2>
      <dl class="facts">
        {a.taskId && (
          <>
            <dt>Task</dt>
            <dd>
              <Link to={`/tasks/${encodeURIComponent(a.taskId)}`}>{a.taskId}</Link>
            </dd>
          </>
        )}
        {a.runId && (
          <>
            <dt>Run</dt>
            <dd>
              <Link to={`/runs/${a.runId}`}>{a.runId.slice(0, 8)}</Link>
            </dd>
          </>
        )}
        {a.message && (
          <>
            <dt>Message</dt>
            <dd>{a.message}</dd>
          </>
        )}
        <dt>Asked</dt>
        <dd>
          <When at={a.createdAt} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <When at={a.expiresAt} />
        </dd>
      </dl>
      {a.status === 'pending' && user.role !== 'viewer' ? (
        <form
          class="form"
          aria-label={`Decide: ${title}`}
          onSubmit={(e) => {
            e.preventDefault();
            decide.run('approve');
          }}
        >
          {a.kind === 'tool_call' && (
            <Field label="Arguments (JSON, edit before approving)">
              <textarea class="code" rows={5} value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
            </Field>
          )}
          <Field label="Comment">
            <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </Field>
          <ErrorNote error={decide.error} />
          <div class="buttons">
            <button type="submit" class="primary" disabled={decide.busy}>
              Approve
            </button>
            <button type="button" class="danger" disabled={decide.busy} onClick={() => decide.run('reject')}>
              Reject
            </button>
          </div>
        </form>
      ) : (
        a.args !== undefined && <Json label="Arguments" value={a.args} />
      )}
    </section>
  );
}
