/**
 * `bsm approval list|approve|reject` (SPEC §11): the approvals inbox at a terminal, against the
 * database or (with `--url`) a server, where the caller's own role and ownership rules apply.
 */
import type { Command } from 'commander';
import type { Page } from '../../domain.js';
import type { Approval } from '../../repositories/approvals.js';
import { APPROVAL_STATUSES } from '../../repositories/approvals.js';
import { query } from '../apiClient.js';
import { pageOptions, print, printPage, reportAndExit, viaServerOrDb } from '../context.js';

function line(a: Approval): string {
  const what =
    a.kind === 'tool_call' ? `${a.taskId} ${a.action} ${JSON.stringify(a.args)}` : `${a.runId}/${a.stepId}`;
  return `${a.approvalId}\t${a.status}\t${a.kind}\t${what}\texpires ${new Date(a.expiresAt).toISOString()}`;
}

function human(a: Approval): string {
  const out = [line(a)];
  if (a.message) out.push(a.message);
  if (a.comment) out.push(`comment: ${a.comment}`);
  return out.join('\n');
}

/** Locally there is no signed-in user: decisions are recorded as the operator's (decidedBy null). */
const OPERATOR = { userId: null } as const;

export function registerApprovalCommands(program: Command): void {
  const approval = program
    .command('approval')
    .description('Decide what tool calls and workflow steps wait for');

  pageOptions(
    approval
      .command('list')
      .option('--status <status>', APPROVAL_STATUSES.join('|'))
      .option('--task <taskId>', "only this task's")
      .option('--run <runId>', "only this workflow run's"),
  ).action(async (o, command: Command) => {
    try {
      const filters = { status: o.status, taskId: o.task, runId: o.run, limit: o.limit, offset: o.offset };
      const page = await viaServerOrDb(
        command,
        (api) => api.get<Page<Approval>>(`/api/approvals${query(filters)}`),
        (s) => s.approvals.list(filters, OPERATOR),
      );
      printPage(page, o.json, line);
    } catch (error) {
      reportAndExit(error);
    }
  });

  for (const decision of ['approve', 'reject'] as const) {
    const cmd = approval
      .command(`${decision} <approvalId>`)
      .description(
        decision === 'approve' ? 'Let the call run (or the step pass)' : 'Refuse the call (or fail the step)',
      )
      .option('--comment <text>', 'why (the model, or the next steps, read it)');
    if (decision === 'approve') cmd.option('--args <json>', "replace the tool call's arguments");
    cmd.option('--json', 'print JSON').action(async (approvalId: string, o, command: Command) => {
      try {
        const body = JSON.parse(
          JSON.stringify({ comment: o.comment, args: o.args === undefined ? undefined : JSON.parse(o.args) }),
        ) as { comment?: string; args?: unknown };
        const decided = await viaServerOrDb(
          command,
          (api) => api.post<Approval>(`/api/approvals/${encodeURIComponent(approvalId)}/${decision}`, body),
          (s) => s.approvals.decide(approvalId, { decision, ...body }, OPERATOR),
        );
        print(decided, o.json, () => human(decided));
      } catch (error) {
        reportAndExit(error);
      }
    });
  }
}
