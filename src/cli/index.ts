#!/usr/bin/env node
import { Command } from 'commander';
import { registerAgentCommands } from './commands/agent.js';
import { registerApprovalCommands } from './commands/approval.js';
import { registerChatCommand } from './commands/chat.js';
import { registerDataProtectionCommands } from './commands/dataProtection.js';
import { registerLoginCommands } from './commands/login.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { serve } from './commands/serve.js';
import { registerTaskCommands } from './commands/task.js';
import { registerUserCommands } from './commands/user.js';
import { worker } from './commands/worker.js';
import { registerWorkflowCommands } from './commands/workflow.js';
import { migrateOnly, print, reportAndExit } from './context.js';

const program = new Command('bsm')
  .description('BSM-AgentOS: control plane for AI agents')
  .version('0.1.0')
  .option(
    '--url <url>',
    'talk to this server instead of the database (or BSM_URL; after bsm login, optional)',
  )
  .option(
    '--token <token>',
    'access token or API key for --url (or BSM_TOKEN; bsm login saves a session instead)',
  );

program
  .command('serve')
  .description('Run the HTTP API (and the engine unless --no-worker)')
  .option('--no-migrate', 'do not apply pending migrations at start')
  .option('--no-worker', 'serve the API only; tasks run on `bsm worker` processes')
  .action(async (o: { migrate: boolean; worker: boolean }) => {
    try {
      await serve(o);
    } catch (error) {
      reportAndExit(error);
    }
  });

program
  .command('worker')
  .description('Run the engine only (no HTTP): take tasks from the shared queue')
  .option('--no-migrate', 'do not apply pending migrations at start')
  .action(async (o: { migrate: boolean }) => {
    try {
      await worker(o);
    } catch (error) {
      reportAndExit(error);
    }
  });

program
  .command('migrate')
  .description('Apply pending database migrations')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    try {
      const applied = await migrateOnly();
      print({ applied }, Boolean(o.json), () =>
        applied.length ? applied.map((m) => `applied ${m}`).join('\n') : 'database is up to date',
      );
    } catch (error) {
      reportAndExit(error);
    }
  });

registerLoginCommands(program);
registerAgentCommands(program);
registerDataProtectionCommands(program);
registerWorkflowCommands(program);
registerUserCommands(program);
registerTaskCommands(program);
registerChatCommand(program);
registerScheduleCommands(program);
registerApprovalCommands(program);

await program.parseAsync(process.argv);
