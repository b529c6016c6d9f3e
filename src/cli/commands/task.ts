import type { Command } from 'commander';
import { type Task, TERMINAL_TASK_STATUSES } from '../../domain.js';
import type { System } from '../../system.js';
import { print, reportAndExit, withSystem } from '../context.js';

function line(t: Task): string {
  return `${t.taskId}\t${t.status}\tp${t.priority}\ttry ${t.retryCount}/${t.maxRetries}\t${t.createdAt.toISOString()}`;
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
  return s.queue.waitForTask(taskId, seconds * 1000, (t) => {
    if (!quiet)
      process.stderr.write(`${t.taskId}: ${t.status}${t.retryCount ? ` (retry ${t.retryCount})` : ''}\n`);
  });
}

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
    .option('--json', 'print JSON')
    .action(async (agentId: string, o) => {
      try {
        const input = o.input ? JSON.parse(o.input) : { prompt: o.prompt };
        const result = await withSystem(async (s) => {
          const { task: t } = await s.queue.submit({
            agentId,
            input,
            priority: o.priority,
            maxRetries: o.maxRetries,
            timeoutSeconds: o.timeout,
            taskId: o.taskId,
          });
          if (o.wait === undefined) return t;
          const seconds = o.wait === true ? 300 : Number(o.wait);
          return waitWithProgress(s, t.taskId, seconds, Boolean(o.json));
        });
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
    .action(async (taskId: string, o) => {
      try {
        const found = await withSystem((s) =>
          o.wait === undefined
            ? s.queue.get(taskId)
            : waitWithProgress(s, taskId, o.wait === true ? 300 : Number(o.wait), Boolean(o.json)),
        );
        print(found, o.json, () => human(found));
      } catch (error) {
        reportAndExit(error);
      }
    });

  task
    .command('list')
    .option('--status <status>')
    .option('--agent <agentId>')
    .option('--limit <n>', 'page size', (v) => Number(v), 50)
    .option('--offset <n>', 'skip', (v) => Number(v), 0)
    .option('--json', 'print JSON')
    .action(async (o) => {
      try {
        const page = await withSystem((s) =>
          s.queue.list({ status: o.status, agentId: o.agent, limit: o.limit, offset: o.offset }),
        );
        print(page, o.json, () =>
          [...page.items.map(line), `(${page.items.length} of ${page.total})`].join('\n'),
        );
      } catch (error) {
        reportAndExit(error);
      }
    });

  task
    .command('cancel <taskId>')
    .option('--json', 'print JSON')
    .action(async (taskId: string, o) => {
      try {
        const t = await withSystem((s) => s.queue.cancel(taskId));
        const done = TERMINAL_TASK_STATUSES.includes(t.status);
        print(t, o.json, () => (done ? `${taskId}: cancelled` : `${taskId}: cancel requested (running)`));
      } catch (error) {
        reportAndExit(error);
      }
    });
}
