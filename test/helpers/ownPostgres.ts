/**
 * A private PostgreSQL server for tests that stop and restart it (never the shared one).
 * initdb refuses to run as root, so when we are root the server runs as the `postgres` user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort();
  const dir = path.join(root, versions[versions.length - 1] ?? '', 'bin');
  return existsSync(path.join(dir, 'pg_ctl')) ? dir : undefined;
}

export const ownPostgresAvailable = binDir() !== undefined;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface OwnPostgres {
  url: string;
  port: number;
  start(): void;
  stop(): void;
  destroy(): void;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const base = mkdtempSync(path.join(tmpdir(), 'bsm-pg-'));
  chmodSync(base, 0o777);
  const data = path.join(base, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = path.join(bin, cmd);
    const result = asRoot
      ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', [full, ...args].map((a) => `'${a}'`).join(' ')], {
          encoding: 'utf8',
        })
      : spawnSync(full, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const handle: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () =>
      run('pg_ctl', [
        '-D',
        data,
        '-w',
        '-l',
        path.join(base, 'log'),
        '-o',
        `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off`,
        'start',
      ]),
    stop: () => run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']),
    destroy: () => {
      try {
        handle.stop();
      } catch {
        // already stopped
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
  handle.start();
  return handle;
}
