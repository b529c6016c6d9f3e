/**
 * Serving the web console (SPEC §13): `/` redirects to `/ui/`, every `/ui/…` page is the app with
 * a strict CSP, built files are served by exact name only, and a missing build says so.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consoleRoutes } from '../../src/api/console.js';

describe('console file serving', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsm-ui-'));
  const app = Fastify();
  const empty = Fastify();
  beforeAll(async () => {
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets', 'index-abc.css'), 'body{}');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a type we serve');
    await app.register(consoleRoutes, { dir });
    await empty.register(consoleRoutes, { dir: path.join(dir, 'missing') });
  });
  afterAll(async () => {
    await app.close();
    await empty.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects / and /ui to /ui/', async () => {
    for (const url of ['/', '/ui']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/ui/');
    }
  });

  it('answers the app with a script-src self CSP for the root and any deep link', async () => {
    for (const url of ['/ui/', '/ui/tasks/task_1', '/ui/agents/legal-reviewer', '/ui/index.html']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<title>console</title>');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['referrer-policy']).toBe('same-origin');
    }
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  it('serves built assets by exact name, cached for good; a missing asset is 404', async () => {
    const js = await app.inject('/ui/assets/index-abc.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    expect((await app.inject('/ui/assets/index-abc.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    const missing = await app.inject('/ui/assets/old-123.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
  });

  it('never reaches the file system from a request path', async () => {
    for (const url of [
      '/ui/notes.txt',
      '/ui/%2e%2e/package.json',
      '/ui/..%2f..%2fpackage.json',
      '/ui/assets/../index.html',
    ]) {
      const res = await app.inject(url);
      expect(res.body, url).not.toContain('not a type we serve');
      expect(res.body, url).not.toContain('"name"');
    }
  });

  it('says the console is not built when dist/ui is missing', async () => {
    const res = await empty.inject('/ui/');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('CONSOLE_NOT_BUILT');
  });
});
