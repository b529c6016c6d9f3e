import { stdin } from 'node:process';
import type { Command } from 'commander';
import { lockHolder } from '../../db/dataDirLock.js';
import type { User } from '../../domain.js';
import { validation } from '../../errors.js';
import { ApiClient } from '../apiClient.js';
import { cliConfig, print, reportAndExit } from '../context.js';
import { CredentialStore, normaliseUrl } from '../credentials.js';
import { promptLine, promptPassword, readStdin } from '../prompt.js';

interface LoginAnswer {
  token: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

/**
 * `bsm login` / `bsm logout` (SPEC §14): a refreshing session per server, saved for later
 * commands, which then need no `--url` or `--token`.
 */
export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description(
      'Sign in to a server and save the session (later commands use it; the URL defaults to BSM_URL, the bsm serve holding BSM_DATA_DIR, or the last server)',
    )
    .option('--username <name>', 'username (prompted on a terminal when missing)')
    .option('--password-stdin', 'read the password from stdin (scripts)')
    .option('--json', 'print JSON')
    .action(async (o: { username?: string; passwordStdin?: boolean; json?: boolean }, command: Command) => {
      try {
        const config = cliConfig();
        const store = new CredentialStore(config.cliCredentialsFile);
        const given = (command.optsWithGlobals() as { url?: string }).url ?? config.cliUrl;
        const url =
          given ?? (config.databaseUrl ? undefined : lockHolder(config.dataDir)?.url) ?? store.current()?.url;
        if (!url) throw validation('bsm login needs --url <server> (or BSM_URL)', { field: 'url' });
        const username = o.username ?? (stdin.isTTY ? await promptLine('Username: ') : undefined);
        if (!username) throw validation('--username is required without a terminal', { field: 'username' });
        let password: string;
        if (o.passwordStdin) password = await readStdin();
        else if (stdin.isTTY) password = await promptPassword(`Password for ${username}: `);
        else throw validation('no terminal to ask for the password: pass it with --password-stdin');
        const answer = await new ApiClient(url, undefined).post<LoginAnswer>('/api/auth/login', {
          username,
          password,
        });
        store.save({
          url: normaliseUrl(url),
          username: answer.user.username,
          accessToken: answer.token,
          refreshToken: answer.refreshToken,
          expiresAt: new Date(Date.now() + answer.expiresIn * 1000).toISOString(),
        });
        const result = { url: normaliseUrl(url), username: answer.user.username, role: answer.user.role };
        print(
          result,
          Boolean(o.json),
          () => `logged in to ${result.url} as ${result.username} (${result.role})`,
        );
      } catch (error) {
        reportAndExit(error);
      }
    });

  program
    .command('logout')
    .description('End the saved session (the server revokes its tokens) and forget it')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, command: Command) => {
      try {
        const config = cliConfig();
        const store = new CredentialStore(config.cliCredentialsFile);
        const given = (command.optsWithGlobals() as { url?: string }).url ?? config.cliUrl;
        const saved = given ? store.get(given) : store.current();
        if (!saved) {
          print({ loggedOut: false }, Boolean(o.json), () => 'not logged in');
          return;
        }
        let revoked = true;
        try {
          await new ApiClient(saved.url, store.tokenSource(saved.url)).post('/api/auth/logout');
        } catch {
          // The server is gone or the session already ended: forgetting it locally is what is left.
          revoked = false;
        }
        store.remove(saved.url);
        print({ loggedOut: true, url: saved.url, revoked }, Boolean(o.json), () =>
          revoked
            ? `logged out of ${saved.url}`
            : `forgot the session for ${saved.url} (the server could not be told)`,
        );
      } catch (error) {
        reportAndExit(error);
      }
    });
}
