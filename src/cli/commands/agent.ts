import type { Command } from 'commander';
import type { Agent, Page } from '../../domain.js';
import { query } from '../apiClient.js';
import { pageOptions, print, printPage, reportAndExit, viaServerOrDb } from '../context.js';

function line(a: Agent): string {
  return `${a.agentId}\t${a.status}\t${a.modelProvider}/${a.modelName ?? '-'}\t${a.name}`;
}

function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('Manage agents');

  agent
    .command('create <agentId>')
    .description('Register an agent')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', 'role prompt')
    .option('--description <text>')
    .option('--provider <provider>', 'model provider (echo, openai)', 'openai')
    .option('--model <name>', 'model name')
    .option('--model-key <key>', 'vault secret holding the provider key')
    .option('--capability <list>', 'capabilities (repeat or comma-separate)', list)
    .option('--action <list>', 'allowed actions (repeat or comma-separate)', list)
    .option('--config <json>', 'agent config as JSON')
    .option('--json', 'print JSON')
    .action(async (agentId: string, o, command: Command) => {
      try {
        const body = {
          agentId,
          name: o.name,
          role: o.role,
          description: o.description,
          modelProvider: o.provider,
          modelName: o.model,
          modelKey: o.modelKey,
          capabilities: o.capability,
          actions: o.action,
          config: o.config ? JSON.parse(o.config) : undefined,
        };
        const created = await viaServerOrDb(
          command,
          (api) => api.post<Agent>('/api/agents', JSON.parse(JSON.stringify(body))),
          async (s) => {
            const a = await s.agents.create(body);
            await s.audit.record({
              action: 'agent.create',
              resourceType: 'agent',
              resourceId: a.agentId,
              details: { via: 'cli' },
            });
            return a;
          },
        );
        print(created, o.json, () => `created ${line(created)}`);
      } catch (error) {
        reportAndExit(error);
      }
    });

  pageOptions(
    agent
      .command('list')
      .description('List agents (newest first)')
      .option('--status <status>')
      .option('-q, --query <text>', 'full-text search'),
  ).action(async (o, command: Command) => {
    try {
      const filters = { status: o.status, q: o.query, limit: o.limit, offset: o.offset };
      const page = await viaServerOrDb(
        command,
        (api) => api.get<Page<Agent>>(`/api/agents${query(filters)}`),
        (s) => s.agents.list(filters),
      );
      printPage(page, o.json, line);
    } catch (error) {
      reportAndExit(error);
    }
  });

  agent
    .command('get <agentId>')
    .option('--json', 'print JSON')
    .action(async (agentId: string, o, command: Command) => {
      try {
        const found = await viaServerOrDb(
          command,
          (api) => api.get<Agent>(`/api/agents/${encodeURIComponent(agentId)}`),
          (s) => s.agents.get(agentId),
        );
        print(found, o.json, () => JSON.stringify(found, null, 2));
      } catch (error) {
        reportAndExit(error);
      }
    });

  agent
    .command('delete <agentId>')
    .option('--json', 'print JSON')
    .action(async (agentId: string, o, command: Command) => {
      try {
        await viaServerOrDb(
          command,
          (api) => api.delete(`/api/agents/${encodeURIComponent(agentId)}`),
          async (s) => {
            await s.agents.delete(agentId);
            await s.audit.record({
              action: 'agent.delete',
              resourceType: 'agent',
              resourceId: agentId,
              details: { via: 'cli' },
            });
          },
        );
        print({ deleted: agentId }, o.json, () => `deleted ${agentId}`);
      } catch (error) {
        reportAndExit(error);
      }
    });
}
