/**
 * helmet's security headers (its defaults, Content-Security-Policy off: JSON answers get a deny-all
 * policy in app.ts, the console and /docs their own), computed once at start-up. They depend on no
 * request, and running helmet's middleware chain on every request cost ~13 µs of a cached read's
 * ~55 µs of server CPU (bench:api, docs/BENCHMARKS.md) — so helmet runs once, on a recording
 * response, and every answer gets the headers it set.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader() {
      // helmet removes X-Powered-By, which Fastify never sets.
    },
  };
  let failure: unknown;
  helmet({ contentSecurityPolicy: false })(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      failure = error;
    },
  );
  if (failure) throw failure;
  return Object.freeze(headers);
}

/** The headers every answer carries: routed ones from an `onRequest` hook, the router's refusals too. */
export const SECURITY_HEADERS = helmetHeaders();
