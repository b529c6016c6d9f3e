/**
 * One writer per embedded database (SPEC §10, issue #9 item 13) and `bsm login` (SPEC §14), with
 * two real processes: while `bsm serve` holds BSM_DATA_DIR, a second `bsm` never opens the
 * database — it stops with one line naming the holder and what to run, or, once `bsm login` saved
 * a session, goes through the server (refreshing the token when it has expired).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { createServerDatabase, serverDatabaseUrl } from '../helpers/db.js';
import { BSM, type Child, deploymentEnv, login, spawnNode } from '../helpers/processes.js';

const ADMIN_PASSWORD = 'lock-Admin-passphrase-1';

/** `bsm serve` on a free port; an embedded start (PGlite, migrations) may be slow on a loaded machine. */
async function serve(env: Record<string, string>): Promise<{ child: Child; base: string }> {
  const child = spawnNode(BSM, ['serve'], { ...env, PORT: '0', LOG_LEVEL: 'info' });
  const line = await child.waitFor(/API listening/, 150_000);
  return { child, base: JSON.parse(line).address };
}

describe.runIf(cliBuilt)('a second bsm process on an embedded data directory', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bsm-lock-'));
  const configHome = mkdtempSync(path.join(tmpdir(), 'bsm-xdg-'));
  const env = { BSM_DATA_DIR: dataDir, XDG_CONFIG_HOME: configHome };
  const credentials = path.join(configHome, 'bsm', 'credentials.json');
  let server: Child;
  let base: string;
  beforeAll(async () => {
    ({ child: server, base } = await serve({ ...env, BSM_ADMIN_PASSWORD: ADMIN_PASSWORD }));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  const create = (agentId: string) =>
    runCli(['agent', 'create', agentId, '--name', 'L', '--role', 'r', '--provider', 'echo'], env);

  it('records the holder (pid, URL) and refuses to open the database, in one line saying what to run', {
    timeout: 120_000,
  }, async () => {
    const lock = JSON.parse(readFileSync(path.join(dataDir, 'bsm.lock'), 'utf8'));
    expect(lock).toMatchObject({ pid: server.process.pid, url: base, command: 'serve' });
    for (const refused of [await create('lock-bot'), await runCli(['migrate'], env)]) {
      expect(refused.status).toBe(1);
      const lines = refused.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('DATA_DIR_LOCKED');
      expect(lines[0]).toContain(`pid ${server.process.pid}`);
      expect(lines[0]).toContain(`bsm login --url ${base}`);
    }
    // The server is untouched and still the only one with the data.
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    const res = await fetch(`${base}/api/agents/lock-bot`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
  });

  it('goes through the server after bsm login, refreshes an expired token, and stops again after logout', {
    timeout: 180_000,
  }, async () => {
    const signedIn = await runCli(
      ['login', '--url', base, '--username', 'admin', '--password-stdin', '--json'],
      env,
      undefined,
      `${ADMIN_PASSWORD}\n`,
    );
    expect(signedIn.status, signedIn.stderr).toBe(0);
    expect(JSON.parse(signedIn.stdout)).toEqual({ url: base, username: 'admin', role: 'admin' });
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const saved = readFileSync(credentials, 'utf8');
    expect(saved).not.toContain(ADMIN_PASSWORD);
    expect(JSON.parse(saved)).toMatchObject({ current: base, sessions: { [base]: { username: 'admin' } } });

    // No --url: the saved session leads to the server, and the agent lands in its database.
    const created = await create('lock-bot');
    expect(created.status, created.stderr).toBe(0);
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    const seen = await fetch(`${base}/api/agents/lock-bot`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(seen.status).toBe(200);

    // An expired access token is refreshed with the saved refresh token, and the new pair saved.
    const file = JSON.parse(readFileSync(credentials, 'utf8'));
    const oldRefresh = file.sessions[base].refreshToken;
    file.sessions[base].accessToken = 'expired-token';
    file.sessions[base].expiresAt = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(credentials, JSON.stringify(file));
    const got = await runCli(['agent', 'get', 'lock-bot', '--json'], env);
    expect(got.status, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout).agentId).toBe('lock-bot');
    const refreshed = JSON.parse(readFileSync(credentials, 'utf8')).sessions[base];
    expect(refreshed.accessToken).not.toBe('expired-token');
    expect(refreshed.refreshToken).not.toBe(oldRefresh);

    const out = await runCli(['logout'], env);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(`logged out of ${base}`);
    const after = await runCli(['agent', 'list'], env);
    expect(after.status).toBe(1);
    expect(after.stderr).toContain('DATA_DIR_LOCKED');
  });

  it('takes over a stale lock left by a dead process, and finds the data the server wrote', {
    timeout: 120_000,
  }, async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    writeFileSync(
      path.join(dataDir, 'bsm.lock'),
      JSON.stringify({
        pid: dead,
        hostname: hostname(),
        command: 'serve',
        url: null,
      }),
    );
    const listed = await runCli(['agent', 'list', '--json'], env);
    expect(listed.status, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).items.map((a: { agentId: string }) => a.agentId)).toEqual(['lock-bot']);
  });
});

describe.runIf(cliBuilt && serverDatabaseUrl)('bsm login against a server on PostgreSQL and Redis', () => {
  const configHome = mkdtempSync(path.join(tmpdir(), 'bsm-xdg-'));
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let server: Child;
  let base: string;
  beforeAll(async () => {
    database = await createServerDatabase();
    ({ child: server, base } = await serve(deploymentEnv(database.url, ADMIN_PASSWORD)));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('saves a session that later commands use without --url, refreshing it when refused', {
    timeout: 120_000,
  }, async () => {
    // The CLI itself has no database configured: only the saved session leads it to the server.
    const env = { XDG_CONFIG_HOME: configHome, BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')) };
    const signedIn = await runCli(
      ['login', '--url', base, '--username', 'admin', '--password-stdin'],
      env,
      undefined,
      ADMIN_PASSWORD,
    );
    expect(signedIn.status, signedIn.stderr).toBe(0);
    const credentials = path.join(configHome, 'bsm', 'credentials.json');
    const file = JSON.parse(readFileSync(credentials, 'utf8'));
    file.sessions[base].accessToken = 'revoked-or-garbage';
    writeFileSync(credentials, JSON.stringify(file));
    const created = await runCli(
      ['agent', 'create', 'pg-bot', '--name', 'P', '--role', 'r', '--provider', 'echo', '--json'],
      env,
    );
    expect(created.status, created.stderr).toBe(0);
    const token = await login(base, 'admin', ADMIN_PASSWORD);
    const seen = await fetch(`${base}/api/agents/pg-bot`, { headers: { authorization: `Bearer ${token}` } });
    expect(seen.status).toBe(200);
    expect((await runCli(['logout'], env)).status).toBe(0);
    const refused = await runCli(['agent', 'get', 'pg-bot'], { ...env, BSM_URL: base });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('UNAUTHENTICATED');
  });
});
