/**
 * The web console (SPEC §13): the single-page app `npm run build` bundles into `dist/ui`, served
 * from memory at `/ui/`. Only files the build produced are served (looked up by exact name in a
 * table read at start-up, so no request path ever reaches the file system); any other `/ui/…`
 * path answers the app's page, so deep links (`/ui/tasks/<taskId>`) reload. The page carries its
 * own Content-Security-Policy: scripts, styles and connections from this origin only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { errorBody } from './errorHandler.js';

/**
 * Where the build put the console: beside the compiled server (dist/api/console.js → dist/ui), or
 * from the TypeScript source (tests) the same dist/ui.
 */
export const CONSOLE_DIR =
  [new URL('../ui/', import.meta.url), new URL('../../dist/ui/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(path.join(dir, 'index.html'))) ??
  fileURLToPath(new URL('../ui/', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

interface StaticFile {
  body: Buffer;
  type: string;
}

/** Every file of the build by its path under /ui/ ("index.html", "assets/index-abc123.js"…). */
function readBuild(dir: string, prefix = ''): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      for (const [key, file] of readBuild(full, `${prefix}${name}/`)) files.set(key, file);
    } else {
      const type = TYPES[path.extname(name)];
      if (type) files.set(`${prefix}${name}`, { body: readFileSync(full), type });
    }
  }
  return files;
}

export const consoleRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, options) => {
  const files = readBuild(options.dir ?? CONSOLE_DIR);
  const index = files.get('index.html');

  const page = (reply: FastifyReply) => {
    if (!index) {
      return reply
        .status(503)
        .send(errorBody('CONSOLE_NOT_BUILT', 'The web console is not built: run `npm run build`'));
    }
    return (
      reply
        .header('content-security-policy', CONSOLE_CSP)
        // The API's `no-referrer` would make the browser send `Origin: null` on the console's own
        // writes, which the CSRF check refuses; same-origin keeps both Origin and Referer ours only.
        .header('referrer-policy', 'same-origin')
        .header('cache-control', 'no-cache')
        .type(index.type)
        .send(index.body)
    );
  };

  const hidden = { hide: true } as const;
  app.get('/', { config: { access: 'public' }, schema: hidden }, (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui', { config: { access: 'public' }, schema: hidden }, (_request, reply) =>
    reply.redirect('/ui/'),
  );
  app.get<{ Params: { '*': string } }>(
    '/ui/*',
    { config: { access: 'public' }, schema: hidden },
    (request, reply) => {
      const name = request.params['*'];
      const file = files.get(name);
      // A missing asset is a 404 (a stale page asking for an old bundle), never the app's page.
      if (!file && name.startsWith('assets/')) {
        return reply.status(404).send(errorBody('NOT_FOUND', 'No such console file'));
      }
      if (!file || name === 'index.html') return page(reply);
      // Built assets carry a content hash in their name: they never change under that name.
      const immutable = name.startsWith('assets/');
      return reply
        .header('content-security-policy', CONSOLE_CSP)
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .type(file.type)
        .send(file.body);
    },
  );
};
