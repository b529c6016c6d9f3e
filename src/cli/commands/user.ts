import { stdin } from 'node:process';
import type { Command } from 'commander';
import { type Page, USER_ROLES, type User, type UserRole } from '../../domain.js';
import { validation } from '../../errors.js';
import { generatePassword } from '../../security/passwords.js';
import { query } from '../apiClient.js';
import { print, printPage, reportAndExit, viaServerOrDb } from '../context.js';
import { promptPassword } from '../prompt.js';

function line(u: User): string {
  return `${u.id}\t${u.username}\t${u.role}\t${u.isActive ? 'active' : 'inactive'}\t${u.email}`;
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('Manage users');

  user
    .command('create <username>')
    .description('Create a user; without --password, prompts on a terminal or generates one (printed once)')
    .requiredOption('--email <email>', 'email address')
    .option('--role <role>', `one of ${USER_ROLES.join(', ')}`, 'user')
    .option('--password <password>', 'password (visible in shell history: prefer the prompt)')
    .option('--json', 'print JSON')
    .action(
      async (
        username: string,
        o: { email: string; role: string; password?: string; json?: boolean },
        command: Command,
      ) => {
        try {
          if (!USER_ROLES.includes(o.role as UserRole)) {
            throw validation(`--role must be one of ${USER_ROLES.join(', ')}`, { field: 'role' });
          }
          let password = o.password;
          let generated: string | undefined;
          if (!password && stdin.isTTY) password = await promptPassword(`Password for ${username}: `);
          if (!password) {
            generated = generatePassword();
            password = generated;
          }
          const body = { username, email: o.email, password: password as string, role: o.role as UserRole };
          const created = await viaServerOrDb(
            command,
            (api) => api.post<User>('/api/users', body),
            async (s) => {
              const u = await s.security.accounts.create(body);
              await s.audit.record({
                action: 'user.create',
                resourceType: 'user',
                resourceId: u.id,
                details: { username: u.username, role: u.role, via: 'cli' },
              });
              return u;
            },
          );
          print({ ...created, ...(generated ? { generatedPassword: generated } : {}) }, Boolean(o.json), () =>
            [`created ${line(created)}`, ...(generated ? [`password (shown once): ${generated}`] : [])].join(
              '\n',
            ),
          );
        } catch (error) {
          reportAndExit(error);
        }
      },
    );

  user
    .command('list')
    .description('List users')
    .option('--role <role>')
    .option('--json', 'print JSON')
    .action(async (o: { role?: UserRole; json?: boolean }, command: Command) => {
      try {
        const page = await viaServerOrDb(
          command,
          (api) => api.get<Page<User>>(`/api/users${query({ role: o.role, limit: 500 })}`),
          (s) => s.repos.users.list({ role: o.role, limit: 500 }),
        );
        printPage(page, Boolean(o.json), line);
      } catch (error) {
        reportAndExit(error);
      }
    });
}
