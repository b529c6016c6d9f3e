import { AppError } from '../errors.js';
import type { TokenSource } from './credentials.js';

/**
 * The CLI's way to a running server (`--url`, `--token`, or a session saved by `bsm login`): JSON
 * over HTTP, errors from the SPEC §7 envelope turned back into AppErrors so commands report them
 * as they do locally. A saved session's token is refreshed once when the server refuses it.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly auth: string | TokenSource | undefined,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const auth = this.auth;
    if (auth === undefined || typeof auth === 'string') return this.send<T>(method, path, body, auth);
    const token = await auth.token();
    try {
      return await this.send<T>(method, path, body, token);
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode !== 401) throw error;
      const fresh = await auth.refresh();
      if (!fresh) throw error;
      return this.send<T>(method, path, body, fresh);
    }
  }

  private async send<T>(method: string, path: string, body: unknown, token: string | undefined): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new AppError(
        `Cannot reach ${this.baseUrl}: ${(error as Error).message}`,
        503,
        'SERVER_UNREACHABLE',
      );
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new AppError(`Unexpected answer from server (HTTP ${res.status})`, 502, 'BAD_GATEWAY');
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error;
      throw new AppError(
        error?.message ?? `HTTP ${res.status}`,
        res.status,
        error?.code ?? 'HTTP_ERROR',
        error?.details,
      );
    }
    return parsed as T;
  }

  /** Opens a Server-Sent Events stream (the caller reads the body); errors as for `request`. */
  async openStream(path: string, lastEventId?: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = typeof this.auth === 'object' ? await this.auth.token() : this.auth;
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { headers, signal });
    } catch (error) {
      throw new AppError(
        `Cannot reach ${this.baseUrl}: ${(error as Error).message}`,
        503,
        'SERVER_UNREACHABLE',
      );
    }
    if (!res.ok) {
      const parsed = (await res.json().catch(() => undefined)) as
        | { error?: { code?: string; message?: string; details?: unknown } }
        | undefined;
      throw new AppError(
        parsed?.error?.message ?? `HTTP ${res.status}`,
        res.status,
        parsed?.error?.code ?? 'HTTP_ERROR',
        parsed?.error?.details,
      );
    }
    return res;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** Query string from defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
