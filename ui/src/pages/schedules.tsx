import { api, type Page, post } from '../api';
import { Confirm, ErrorNote, ListTable, PageHeader, Status, When } from '../components';
import { useAction, useResource } from '../hooks';
import { useUser } from '../session';

interface Schedule {
  scheduleId: string;
  cron: string;
  timezone: string;
  target: { agentId?: string; workflowId?: string };
  enabled: boolean;
  nextFireAt?: string | null;
  lastFireAt?: string | null;
}

/** Cron schedules (SPEC §14): see them, run one now, pause, resume, delete. */
export function SchedulesPage() {
  const user = useUser();
  const schedules = useResource<Page<Schedule>>('/api/schedules?limit=200');
  const act = useAction(async (fn: () => Promise<unknown>) => {
    await fn();
    schedules.reload();
  });
  const path = (s: Schedule) => `/api/schedules/${encodeURIComponent(s.scheduleId)}`;
  const writes = user.role !== 'viewer';
  return (
    <>
      <PageHeader title="Schedules" />
      <ErrorNote error={schedules.error ?? act.error} />
      <ListTable
        caption="Schedules"
        empty="No schedules."
        columns={['Schedule', 'Cron', 'Target', 'State', 'Next', '']}
        items={schedules.data?.items}
        row={(s) => (
          <tr key={s.scheduleId}>
            <td>{s.scheduleId}</td>
            <td class="mono">
              {s.cron} ({s.timezone})
            </td>
            <td>{s.target.agentId ? `agent ${s.target.agentId}` : `workflow ${s.target.workflowId}`}</td>
            <td>
              <Status value={s.enabled ? 'active' : 'inactive'} />
            </td>
            <td>
              <When at={s.nextFireAt} />
            </td>
            <td>
              {writes && (
                <div class="buttons">
                  <button
                    type="button"
                    class="small"
                    onClick={() => act.run(() => post(`${path(s)}/trigger`))}
                  >
                    Run now <span class="sr-only">{s.scheduleId}</span>
                  </button>
                  <button
                    type="button"
                    class="small"
                    onClick={() => act.run(() => api('PATCH', path(s), { enabled: !s.enabled }))}
                  >
                    {s.enabled ? 'Pause' : 'Resume'} <span class="sr-only">{s.scheduleId}</span>
                  </button>
                  <Confirm
                    class="small danger"
                    question={`Delete schedule ${s.scheduleId}?`}
                    onConfirm={() => act.run(() => api('DELETE', path(s)))}
                  >
                    Delete <span class="sr-only">{s.scheduleId}</span>
                  </Confirm>
                </div>
              )}
            </td>
          </tr>
        )}
      />
    </>
  );
}
