/**
 * One writer per embedded database (SPEC §10). PGlite is one process's database: a second
 * process opening the same `BSM_DATA_DIR` works on its own copy, and its writes (or the server's)
 * are lost. So a process opening the embedded database first creates `BSM_DATA_DIR/bsm.lock`
 * with O_EXCL, recording its pid (and, for `bsm serve`, its URL); anyone else finds it and stops.
 * A lock whose pid is no longer alive (kill -9, power loss) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { AppError } from '../errors.js';

export interface LockHolder {
  pid: number;
  hostname: string;
  /** What the holder runs (`serve`, `worker`, `agent create`…). */
  command: string;
  /** The API's address, once a `bsm serve` listens. */
  url: string | null;
  startedAt: string;
}

export class DataDirLockedError extends AppError {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const what = holder.url ? `bsm ${holder.command} at ${holder.url}` : `bsm ${holder.command}`;
    const todo = holder.url
      ? `run \`bsm login --url ${holder.url}\` once and repeat this command (it then goes through that server), or stop that process first`
      : 'stop that process first, or run this command with --url against a running server';
    super(
      `${dataDir} is in use by ${what} (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}): ${todo}`,
      409,
      'DATA_DIR_LOCKED',
      { holder },
    );
  }
}

export const lockFile = (dataDir: string) => path.join(dataDir, 'bsm.lock');

/** Whether `pid` is a live process on this machine (EPERM: alive, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * The live process holding `dataDir`, other than this one; undefined when free or stale. A lock
 * from another machine (a shared volume) counts as live: its pid cannot be checked from here.
 */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(lockFile(dataDir));
  if (!holder || holder.pid === process.pid) return undefined;
  if (holder.hostname === hostname() && !alive(holder.pid)) return undefined;
  return holder;
}

/** What this process runs, for the message another process prints (`serve`, `agent create`…). */
function currentCommand(): string {
  const words = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  return words.slice(0, 2).join(' ') || 'process';
}

/**
 * Takes the lock or throws DataDirLockedError naming the holder and what to run. Returns the
 * release function (also run when the process exits).
 */
export function acquireDataDirLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    command: currentCommand(),
    url: null,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(dataDir);
      if (holder) throw new DataDirLockedError(dataDir, holder);
      // Stale (or half-written by a process that died at once): remove it and try once more.
      if (attempt > 0) throw new DataDirLockedError(dataDir, readHolder(file) ?? me);
      try {
        unlinkSync(file);
      } catch {
        // Another process removed it first; the next attempt decides.
      }
    }
  }
  const release = () => {
    process.off('exit', release);
    if (readHolder(file)?.pid !== process.pid) return;
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return release;
}

/**
 * Records the API address in this process's lock (`bsm serve`, once it listens), so another
 * command can say where the server is. Does nothing when this process holds no lock there.
 */
export function recordServerUrl(dataDir: string, url: string): void {
  const file = lockFile(dataDir);
  const holder = readHolder(file);
  if (holder?.pid !== process.pid) return;
  // Write-then-rename, so a reader never sees half a file.
  const tmp = `${file}.${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  writeSync(fd, JSON.stringify({ ...holder, url }));
  closeSync(fd);
  renameSync(tmp, file);
}
