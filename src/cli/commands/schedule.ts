import type { Command } from 'commander';
import type { FireResult } from '../../core/schedules/scheduler.js';
import type { ScheduleInput } from '../../core/schedules/schedules.js';
import type { Page } from '../../domain.js';
import { validation } from '../../errors.js';
import type { Schedule } from '../../repositories/schedules.js';
import type { System } from '../../system.js';
import { query } from '../apiClient.js';
import { pageOptions, print, printPage, reportAndExit, viaServerOrDb } from '../context.js';

function line(s: Schedule): string {
  const target = 'workflowId' in s.target ? `workflow ${s.target.workflowId}` : `agent ${s.target.agentId}`;
  const next = s.nextFireAt ? new Date(s.nextFireAt).toISOString() : 'disabled';
  return `${s.scheduleId}\t${s.cron}\t${s.timezone}\t${target}\tnext ${next}`;
}

function fireLine(f: Pick<FireResult, 'fireTime' | 'status' | 'taskId' | 'runId' | 'error'>): string {
  const made = f.taskId ? `task ${f.taskId}` : f.runId ? `run ${f.runId}` : (f.error ?? '');
  return `${new Date(f.fireTime).toISOString()}\t${f.status}\t${made}`;
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw validation(`${what} is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw validation(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

const cliAudit = (s: System, action: string, resourceId: string) =>
  s.audit.record({ action, resourceType: 'schedule', resourceId, details: { via: 'cli' } });

/** `bsm schedule create|list|delete|trigger` (SPEC §14), locally or with --url. */
export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('Run tasks or workflows on a cron schedule');

  schedule
    .command('create <scheduleId>')
    .description('Create a schedule firing an agent task (--agent) or a workflow run (--workflow)')
    .requiredOption('--cron <expr>', 'cron: 5 fields, or 6 with seconds first, e.g. "0 9 * * 1-5"')
    .option('--timezone <zone>', 'IANA time zone', 'UTC')
    .option('--agent <agentId>', 'agent that runs each fire’s task')
    .option('--workflow <workflowId>', 'workflow that each fire runs')
    .option('--input <json>', 'task input ({"prompt": …}) or run input, as JSON', '{}')
    .option('--overlap <policy>', 'skip (default) or allow a fire while the previous one is active', 'skip')
    .option('--catch-up <policy>', 'none (default) or latest: fire once for times missed while down', 'none')
    .option('--disabled', 'create it disabled')
    .option('--json', 'print JSON')
    .action(async (scheduleId: string, o, command: Command) => {
      try {
        if (Boolean(o.agent) === Boolean(o.workflow))
          throw validation('give exactly one of --agent or --workflow');
        const input = jsonObject(o.input, '--input');
        const body: ScheduleInput = {
          scheduleId,
          cron: o.cron,
          timezone: o.timezone,
          target: o.agent ? { agentId: o.agent, input } : { workflowId: o.workflow, input },
          overlap: o.overlap,
          catchUp: o.catchUp,
          enabled: !o.disabled,
        };
        const created = await viaServerOrDb(
          command,
          (api) => api.post<Schedule>('/api/schedules', body),
          async (s) => {
            if (!['skip', 'allow'].includes(o.overlap)) throw validation('--overlap must be skip or allow');
            if (!['none', 'latest'].includes(o.catchUp))
              throw validation('--catch-up must be none or latest');
            const made = await s.schedules.create(body, null);
            await cliAudit(s, 'schedule.create', made.scheduleId);
            return made;
          },
        );
        print(created, o.json, () => `created ${line(created)}`);
      } catch (error) {
        reportAndExit(error);
      }
    });

  pageOptions(schedule.command('list').description('List schedules (newest first)')).action(
    async (o, command: Command) => {
      try {
        const filters = { limit: o.limit, offset: o.offset };
        const page = await viaServerOrDb(
          command,
          (api) => api.get<Page<Schedule>>(`/api/schedules${query(filters)}`),
          (s) => s.schedules.list(filters),
        );
        printPage(page, o.json, line);
      } catch (error) {
        reportAndExit(error);
      }
    },
  );

  schedule
    .command('delete <scheduleId>')
    .description('Delete a schedule (the tasks and runs it created stay)')
    .action(async (scheduleId: string, _o, command: Command) => {
      try {
        await viaServerOrDb(
          command,
          (api) => api.delete(`/api/schedules/${encodeURIComponent(scheduleId)}`),
          async (s) => {
            await s.schedules.delete(await s.schedules.get(scheduleId));
            await cliAudit(s, 'schedule.delete', scheduleId);
          },
        );
        console.log(`deleted ${scheduleId}`);
      } catch (error) {
        reportAndExit(error);
      }
    });

  schedule
    .command('trigger <scheduleId>')
    .description('Fire now, whatever enabled and overlap say')
    .option('--json', 'print JSON')
    .action(async (scheduleId: string, o, command: Command) => {
      try {
        const fire = await viaServerOrDb(
          command,
          (api) => api.post<FireResult>(`/api/schedules/${encodeURIComponent(scheduleId)}/trigger`, {}),
          async (s) => {
            const fired = await s.scheduler.trigger(await s.schedules.get(scheduleId));
            await cliAudit(s, 'schedule.trigger', scheduleId);
            return fired;
          },
        );
        print(fire, o.json, () => fireLine(fire));
        if (fire.status !== 'fired') process.exitCode = 1;
      } catch (error) {
        reportAndExit(error);
      }
    });
}
