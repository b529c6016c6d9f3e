/**
 * Sessions saved by `bsm login` (SPEC §14 "People at a terminal"): one access + refresh token
 * pair per server in `$XDG_CONFIG_HOME/bsm/credentials.json` (default `~/.config`), mode 0600,
 * plus the server last logged in to, which later commands use when they get no `--url`.
 * Commands refresh the access token when it has expired (or the server refuses it) and save the
 * new pair, so a session lasts as long as its refresh token.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';

export interface SavedSession {
  url: string;
  username: string;
  accessToken: string;
  refreshToken: string;
  /** ISO time the access token expires. */
  expiresAt: string;
}

interface CredentialsFile {
  current: string | null;
  sessions: Record<string, SavedSession>;
}

/** A session's tokens as the API client reads them: refreshed when expired or refused. */
export interface TokenSource {
  token(): Promise<string | undefined>;
  /** A fresh access token after the server refused the last one; undefined when there is none. */
  refresh(): Promise<string | undefined>;
}

/** `http://Host:3000/` and `http://host:3000` are one server. */
export const normaliseUrl = (url: string) => new URL(url).toString().replace(/\/+$/, '');

/** Refresh this long before the recorded expiry, so a request never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 10_000;

export class CredentialStore {
  constructor(readonly file: string) {}

  private read(): CredentialsFile {
    if (!existsSync(this.file)) return { current: null, sessions: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<CredentialsFile>;
      return { current: parsed.current ?? null, sessions: parsed.sessions ?? {} };
    } catch {
      throw new AppError(
        `${this.file} is not valid JSON: remove it and run bsm login`,
        400,
        'BAD_CREDENTIALS_FILE',
      );
    }
  }

  private write(content: CredentialsFile): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(content, null, 2), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  get(url: string): SavedSession | undefined {
    return this.read().sessions[normaliseUrl(url)];
  }

  /** The server last logged in to, if its session is still saved. */
  current(): SavedSession | undefined {
    const file = this.read();
    return file.current ? file.sessions[file.current] : undefined;
  }

  save(session: SavedSession, makeCurrent = true): void {
    const file = this.read();
    const url = normaliseUrl(session.url);
    file.sessions[url] = { ...session, url };
    if (makeCurrent) file.current = url;
    this.write(file);
  }

  remove(url: string): void {
    const file = this.read();
    const key = normaliseUrl(url);
    delete file.sessions[key];
    if (file.current === key) file.current = null;
    if (Object.keys(file.sessions).length === 0) {
      if (existsSync(this.file)) unlinkSync(this.file);
      return;
    }
    this.write(file);
  }

  /** Tokens of the saved session for `url`, refreshed through the server when needed. */
  tokenSource(url: string): TokenSource {
    const refresh = async (): Promise<string | undefined> => {
      const saved = this.get(url);
      if (!saved) return undefined;
      const res = await fetch(new URL('/api/auth/refresh', saved.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refreshToken: saved.refreshToken }),
      }).catch((error: Error) => {
        throw new AppError(`Cannot reach ${saved.url}: ${error.message}`, 503, 'SERVER_UNREACHABLE');
      });
      if (!res.ok) {
        throw new AppError(
          `The saved session for ${saved.url} has ended: run \`bsm login --url ${saved.url}\``,
          401,
          'SESSION_EXPIRED',
        );
      }
      const pair = (await res.json()) as { token: string; refreshToken: string; expiresIn: number };
      this.save(
        {
          ...saved,
          accessToken: pair.token,
          refreshToken: pair.refreshToken,
          expiresAt: new Date(Date.now() + pair.expiresIn * 1000).toISOString(),
        },
        false,
      );
      return pair.token;
    };
    return {
      token: async () => {
        const saved = this.get(url);
        if (!saved) return undefined;
        const expired = Date.parse(saved.expiresAt) - EXPIRY_MARGIN_MS <= Date.now();
        return expired ? refresh() : saved.accessToken;
      },
      refresh,
    };
  }
}
