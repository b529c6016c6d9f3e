/**
 * One Server-Sent Events response, bounded (SPEC §10 "Live streams are bounded"):
 * - at most `BSM_MAX_STREAMS_PER_USER` open streams per user on this node (429 beyond);
 * - the caller's credential is checked again every RECHECK_MS, so a stream ends within 30 s of its
 *   user's logout, deactivation or token revocation (RECHECK_MS plus the authenticator's 5 s cache);
 * - a client that stops reading is dropped once MAX_UNSENT_BYTES wait unsent in the socket.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { extractCredential } from '../security/auth/authenticator.js';
import type { System } from '../system.js';

/** Comment line sent when nothing else was, so proxies and clients keep the stream open. */
export const HEARTBEAT_MS = 15_000;
export const RECHECK_MS = 10_000;
export const MAX_UNSENT_BYTES = 1024 * 1024;

/** Open streams on this node, per user, and every open response (closed on shutdown). */
export class OpenStreams {
  private readonly perUser = new Map<string, number>();
  readonly all = new Set<ServerResponse>();
  dropped = 0;

  constructor(private readonly maxPerUser: number) {}

  acquire(userId: string): () => void {
    const open = this.perUser.get(userId) ?? 0;
    if (open >= this.maxPerUser) {
      throw new AppError(`At most ${this.maxPerUser} open streams per user`, 429, 'TOO_MANY_STREAMS', {
        limit: this.maxPerUser,
      });
    }
    this.perUser.set(userId, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.perUser.get(userId) ?? 1) - 1;
      if (now <= 0) this.perUser.delete(userId);
      else this.perUser.set(userId, now);
    };
  }

  count(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }
}

export interface SseStream {
  /** Sends one event; `id` is the event-log `seq` (what Last-Event-ID resumes from). */
  send(event: string, data: unknown, id?: number): void;
  end(): void;
  readonly closed: boolean;
  /** Runs once when the stream closes, whoever closed it. */
  onClose(fn: () => void): void;
}

/**
 * Takes over the response as an event stream. Throws (before anything is written, so the error
 * handler answers in the envelope) when the user already has too many streams open.
 */
export function openSse(
  system: System,
  streams: OpenStreams,
  request: FastifyRequest,
  reply: FastifyReply,
): SseStream {
  const user = request.user;
  const release = user ? streams.acquire(user.id) : () => undefined;
  const credential = user ? extractCredential(request) : undefined;
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
  }
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    'x-content-type-options': 'nosniff',
  });
  let closed = false;
  const closers: Array<() => void> = [];
  const write = (text: string) => {
    if (closed) return;
    raw.write(text);
    // The client is not reading: drop it rather than hold its backlog in memory.
    if (raw.writableLength > MAX_UNSENT_BYTES) {
      streams.dropped += 1;
      raw.destroy();
    }
  };
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
  const recheck = setInterval(() => {
    if (!credential) return;
    system.security.authenticator.authenticate(credential).catch(() => {
      if (!closed) raw.end();
    });
  }, RECHECK_MS);
  heartbeat.unref();
  recheck.unref();
  streams.all.add(raw);
  const cleanUp = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    clearInterval(recheck);
    streams.all.delete(raw);
    release();
    for (const fn of closers.splice(0)) fn();
  };
  raw.once('close', cleanUp);
  raw.once('finish', cleanUp);
  write(': connected\n\n');
  return {
    send(event, data, id) {
      write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (!closed) raw.end();
    },
    get closed() {
      return closed;
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}
