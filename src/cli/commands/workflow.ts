import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Page } from '../../domain.js';
import { validation } from '../../errors.js';
import type { WorkflowRun } from '../../repositories/workflowRuns.js';
import type { NewWorkflow, Workflow } from '../../repositories/workflows.js';
import type { System } from '../../system.js';
import { query } from '../apiClient.js';
import { pageOptions, print, printPage, reportAndExit, viaServerOrDb } from '../context.js';

function line(w: Workflow): string {
  return `${w.workflowId}\tv${w.version}\t${w.definition.steps.length} steps\t${w.name}`;
}

function runSummary(run: WorkflowRun): string {
  const steps = run.steps.map((s) => `  ${s.stepId}\t${s.status}${s.error ? `\t${s.error}` : ''}`);
  return [`run ${run.runId}\t${run.status}${run.error ? `\t${run.error}` : ''}`, ...steps].join('\n');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw validation(`${what} is not valid JSON`);
  }
}

/** Polls a run (from the database or the server) until it is no longer running. */
async function waitForRun(read: () => Promise<WorkflowRun>, timeoutMs: number): Promise<WorkflowRun> {
  const deadline = Date.now() + timeoutMs;
  let run = await read();
  while (run.status === 'running' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    run = await read();
  }
  return run;
}

const cliAudit = (s: System, action: string, resourceId: string) =>
  s.audit.record({ action, resourceType: 'workflow', resourceId, details: { via: 'cli' } });

export function registerWorkflowCommands(program: Command): void {
  const workflow = program.command('workflow').description('Manage and run workflows');

  pageOptions(workflow.command('list').description('List workflows (newest first)')).action(
    async (o, command: Command) => {
      try {
        const filters = { limit: o.limit, offset: o.offset };
        const page = await viaServerOrDb(
          command,
          (api) => api.get<Page<Workflow>>(`/api/workflows${query(filters)}`),
          (s) => s.workflows.list(filters),
        );
        printPage(page, o.json, line);
      } catch (error) {
        reportAndExit(error);
      }
    },
  );

  workflow
    .command('get <workflowId>')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, o, command: Command) => {
      try {
        const found = await viaServerOrDb(
          command,
          (api) => api.get<Workflow>(`/api/workflows/${encodeURIComponent(workflowId)}`),
          (s) => s.workflows.get(workflowId),
        );
        print(found, o.json, () => JSON.stringify(found, null, 2));
      } catch (error) {
        reportAndExit(error);
      }
    });

  workflow
    .command('create')
    .description('Create a workflow from a JSON file ({workflowId, name, description?, definition: {steps}})')
    .requiredOption('--file <path>', 'workflow definition file')
    .option('--json', 'print JSON')
    .action(async (o, command: Command) => {
      try {
        const body = parseJson(readFileSync(o.file, 'utf8'), o.file) as NewWorkflow;
        const created = await viaServerOrDb(
          command,
          (api) => api.post<Workflow>('/api/workflows', body),
          async (s) => {
            const w = await s.workflows.create(body);
            await cliAudit(s, 'workflow.create', w.workflowId);
            return w;
          },
        );
        print(created, o.json, () => `created ${line(created)}`);
      } catch (error) {
        reportAndExit(error);
      }
    });

  workflow
    .command('run <workflowId>')
    .description('Start a run; with --wait, show its steps when it ends')
    .option('--input <json>', 'run input as a JSON object', '{}')
    .option('--wait', 'wait for the run to end (up to --timeout seconds)')
    .option('--timeout <s>', 'seconds to wait', (v) => Number(v), 600)
    .option('--json', 'print JSON')
    .action(async (workflowId: string, o, command: Command) => {
      try {
        const input = parseJson(o.input, '--input');
        if (!input || typeof input !== 'object' || Array.isArray(input))
          throw validation('--input must be a JSON object');
        const run = await viaServerOrDb(
          command,
          async (api) => {
            const started = await api.post<WorkflowRun>(
              `/api/workflows/${encodeURIComponent(workflowId)}/runs`,
              { input },
            );
            const read = () =>
              api.get<WorkflowRun>(`/api/workflow-runs/${encodeURIComponent(started.runId)}`);
            return o.wait ? waitForRun(read, o.timeout * 1000) : started;
          },
          async (s) => {
            // On the embedded database no other process can run the steps: this one does meanwhile.
            if (o.wait && s.db.driver === 'pglite') await s.queue.start();
            const started = await s.workflowEngine.startRun(
              workflowId,
              input as Record<string, unknown>,
              null,
            );
            await cliAudit(s, 'workflow.run', workflowId);
            const read = () => s.repos.workflowRuns.find(started.runId);
            return o.wait ? waitForRun(read, o.timeout * 1000) : started;
          },
        );
        print(run, o.json, () => runSummary(run));
        if (o.wait && run.status !== 'completed') process.exitCode = 1;
      } catch (error) {
        reportAndExit(error);
      }
    });
}
