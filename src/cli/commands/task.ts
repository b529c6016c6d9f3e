import type { Command } from 'commander';
import { type Page, TASK_STATUSES, type Task, TERMINAL_TASK_STATUSES } from '../../domain.js';
import type { System } from '../../system.js';
import { type ApiClient, query } from '../apiClient.js';
import { pageOptions, print, printPage, reportAndExit, viaServerOrDb } from '../context.js';
import { ProgressLine } from '../progress.js';
import { followTaskLocal, followTaskRemote } from '../taskStream.js';

function line(t: Task): string {
  return `${t.taskId}\t${t.status}\tp${t.priority}\ttry ${t.retryCount}/${t.maxRetries}\t${new Date(t.createdAt).toISOString()}`;
}

function human(t: Task): string {
  const out = [line(t)];
  if (t.output && typeof t.output === 'object' && 'text' in t.output) out.push(String(t.output.text));
  if (t.error) out.push(`error: ${t.error}`);
  return out.join('\n');
}

/**
 * Waits for a task, printing each change of state to stderr (stdout stays the result). On the
 * embedded database no other process can run the task, so this process runs the worker meanwhile.
 */
async function waitWithProgress(s: System, taskId: string, seconds: number, quiet: boolean): Promise<Task> {
  if (s.db.driver === 'pglite') await s.queue.start();
  const progress = new ProgressLine(process.stderr, quiet);
  try {
    return await s.queue.waitForTask(taskId, seconds * 1000, (t) => progress.update(t));
  } finally {
    progress.done();
  }
}

const TERMINAL = new Set<string>(TERMINAL_TASK_STATUSES);

/**
 * `--url`: follows a task through the server, long-polling `GET /api/tasks/:taskId?wait=` in
 * slices of at most 2 s (so a retry and its reason show while it waits), with the same progress
 * line as the local path.
 */
async function waitRemote(api: ApiClient, taskId: string, seconds: number, quiet: boolean): Promise<Task> {
  const deadline = Date.now() + seconds * 1000;
  const progress = new ProgressLine(process.stderr, quiet);
  try {
    for (;;) {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const t = await api.get<Task>(
        `/api/tasks/${encodeURIComponent(taskId)}${query({ wait: Math.min(left, 2) })}`,
      );
      progress.update(t);
      if (TERMINAL.has(t.status) || Date.now() >= deadline) return t;
    }
  } finally {
    progress.done();
  }
}

const waitSeconds = (wait: string | true) => (wait === true ? 300 : Number(wait));

export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('Submit and follow tasks');

  task
    .command('submit <agentId>')
    .description('Queue a task for an agent')
    .option('--prompt <text>', 'the prompt (input {prompt})')
    .option('--input <json>', 'the whole input as JSON ({prompt} or {messages})')
    .option('--priority <n>', '1-10 (10 first)', (v) => Number(v))
    .option('--max-retries <n>', 'retries after a failure', (v) => Number(v))
    .option('--timeout <seconds>', 'timeout of one attempt', (v) => Number(v))
    .option('--task-id <id>', 'your own id (idempotent)')
    .option('--wait [seconds]', 'wait for the result, showing progress (default 300 s)')
    .option('--stream', 'print the answer as it is written, then wait for the task to end')
    .option('--json', 'print JSON')
    .action(async (agentId: string, o, command: Command) => {
      try {
        const input = o.input ? JSON.parse(o.input) : { prompt: o.prompt };
        const request = {
          agentId,
          input,
          priority: o.priority,
          maxRetries: o.maxRetries,
          timeoutSeconds: o.timeout,
          taskId: o.taskId,
        };
        if (o.stream) {
          const write = (text: string) => process.stdout.write(text);
          const streamed = await viaServerOrDb(
            command,
            async (api) => {
              const t = await api.post<Task>('/api/tasks', JSON.parse(JSON.stringify(request)));
              await followTaskRemote(api, t.taskId, write);
              return api.get<Task>(`/api/tasks/${encodeURIComponent(t.taskId)}`);
            },
            async (s) => {
              const { task: t } = await s.queue.submit(request);
              await s.audit.record({
                action: 'task.create',
                resourceType: 'task',
                resourceId: t.taskId,
                details: { agentId, via: 'cli' },
              });
              if (s.db.driver === 'pglite') await s.queue.start();
              await followTaskLocal(s, t.taskId, write);
              return s.queue.get(t.taskId);
            },
          );
          process.stdout.write('\n');
          if (streamed.status !== 'completed') {
            process.stderr.write(
              `${streamed.taskId}: ${streamed.status}${streamed.error ? `: ${streamed.error}` : ''}\n`,
            );
            process.exitCode = 1;
          }
          return;
        }
        const result = await viaServerOrDb(
          command,
          async (api) => {
            const t = await api.post<Task>('/api/tasks', JSON.parse(JSON.stringify(request)));
            return o.wait === undefined ? t : waitRemote(api, t.taskId, waitSeconds(o.wait), Boolean(o.json));
          },
          async (s) => {
            const { task: t, created } = await s.queue.submit(request);
            if (created) {
              await s.audit.record({
                action: 'task.create',
                resourceType: 'task',
                resourceId: t.taskId,
                details: { agentId, via: 'cli' },
              });
            }
            if (o.wait === undefined) return t;
            return waitWithProgress(s, t.taskId, waitSeconds(o.wait), Boolean(o.json));
          },
        );
        print(result, o.json, () => human(result));
        if (o.wait !== undefined && result.status !== 'completed') process.exitCode = 1;
      } catch (error) {
        reportAndExit(error);
      }
    });

  task
    .command('get <taskId>')
    .option('--wait [seconds]', 'wait until it finishes')
    .option('--json', 'print JSON')
    .action(async (taskId: string, o, command: Command) => {
      try {
        const found = await viaServerOrDb(
          command,
          (api) =>
            o.wait === undefined
              ? api.get<Task>(`/api/tasks/${encodeURIComponent(taskId)}`)
              : waitRemote(api, taskId, waitSeconds(o.wait), Boolean(o.json)),
          (s) =>
            o.wait === undefined
              ? s.queue.get(taskId)
              : waitWithProgress(s, taskId, waitSeconds(o.wait), Boolean(o.json)),
        );
        print(found, o.json, () => human(found));
      } catch (error) {
        reportAndExit(error);
      }
    });

  pageOptions(
    task.command('list').option('--status <status>', TASK_STATUSES.join('|')).option('--agent <agentId>'),
  ).action(async (o, command: Command) => {
    try {
      const filters = { status: o.status, agentId: o.agent, limit: o.limit, offset: o.offset };
      const page = await viaServerOrDb(
        command,
        (api) => api.get<Page<Task>>(`/api/tasks${query(filters)}`),
        (s) => s.queue.list(filters),
      );
      printPage(page, o.json, line);
    } catch (error) {
      reportAndExit(error);
    }
  });

  task
    .command('cancel <taskId>')
    .option('--json', 'print JSON')
    .action(async (taskId: string, o, command: Command) => {
      try {
        const t = await viaServerOrDb(
          command,
          (api) => api.post<Task>(`/api/tasks/${encodeURIComponent(taskId)}/cancel`),
          async (s) => {
            const cancelled = await s.queue.cancel(taskId);
            await s.audit.record({
              action: 'task.cancel',
              resourceType: 'task',
              resourceId: taskId,
              details: { via: 'cli' },
            });
            return cancelled;
          },
        );
        const done = TERMINAL_TASK_STATUSES.includes(t.status);
        print(t, o.json, () => (done ? `${taskId}: cancelled` : `${taskId}: cancel requested (running)`));
      } catch (error) {
        reportAndExit(error);
      }
    });
}
