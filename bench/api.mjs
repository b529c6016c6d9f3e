// HTTP benchmark (not a test): our API against a bare Fastify peer on the same PostgreSQL, in one run.
//
//   npm run bench:api        (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
//
// Both servers run as processes of their own in a database the benchmark creates and drops:
// - submit: POST /api/tasks (authenticated, validated, audited; BSM_WORKER=false so nothing runs
//   the tasks) vs POST /bare/tasks (one INSERT … RETURNING into a table like `tasks`);
// - cached read: GET /api/agents/:agentId with a bearer token vs a route that compares the bearer
//   header and returns the same JSON from memory.
// autocannon, BENCH_CONNECTIONS (50) connections, BENCH_SECONDS (10) s per measurement, BENCH_ROUNDS
// (2) rounds with the peer's order alternating. Reported: req/s, p50/p99 latency, server CPU per
// request (from /proc), the ratio to the peer in the same round, and — during our first submit
// round — what PostgreSQL's sessions were doing (pg_stat_activity sampled every 10 ms). After the
// run the audit chain is verified and audit rows are counted against tasks.
// BENCH_CPU_PROF=<dir> starts our server with --cpu-prof (profile written there on exit).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

const BASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CPU_PROF = process.env.BENCH_CPU_PROF;
// BENCH_KINDS=submit (or read): one of the two, e.g. for a profile of that path alone.
const KINDS = (process.env.BENCH_KINDS ?? 'submit,read').split(',');
const root = path.resolve(import.meta.dirname, '..');
// BENCH_SERVER_ROOT: run another build's server (e.g. an older commit, for a before/after figure).
const serverRoot = process.env.BENCH_SERVER_ROOT ?? root;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK_US = 1e6 / 100; // /proc CPU times are in USER_HZ (100 on Linux)

function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime + stime
}

/** Starts `node args…` with output to a file; resolves once a line matches `ready`. */
async function start(args, env, ready, dir) {
  const log = path.join(
    dir,
    `${path.basename(args[args.length - 1] ?? 'p')}-${randomBytes(3).toString('hex')}.log`,
  );
  const fd = openSync(log, 'w');
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', fd, fd],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = readFileSync(log, 'utf8')
      .split('\n')
      .find((l) => ready.test(l));
    if (line) return { child, line, log };
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`did not start:\n${readFileSync(log, 'utf8')}`);
    await sleep(100);
  }
}

async function measure(label, pid, options) {
  const before = cpuMicros(pid);
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  const cpu = cpuMicros(pid) - before;
  const ok = result.requests.total - result.non2xx - result.errors;
  return {
    label,
    reqPerSec: Math.round(ok / SECONDS),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMicrosPerRequest: ok ? Math.round(cpu / ok) : null,
  };
}

/** What PostgreSQL's sessions of `database` are doing, sampled while `during` runs. */
async function sampleActivity(url, database, during) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const counts = new Map();
  let samples = 0;
  let done = false;
  const loop = (async () => {
    while (!done) {
      const { rows } = await client.query(
        `SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') AS wait, left(query, 48) AS query
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'`,
        [database],
      );
      samples += 1;
      for (const r of rows) {
        const key = `${r.wait} | ${r.query.replace(/\s+/g, ' ')}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await sleep(10);
    }
  })();
  try {
    return { result: await during(), samples, counts };
  } finally {
    done = true;
    await loop;
    await client.end();
  }
}

const name = `bsm_bench_api_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: BASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const dbUrl = new URL(BASE_URL);
dbUrl.pathname = `/${name}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'bsm-bench-api-'));
const children = [];
try {
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const ours = await start(
    [
      ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : []),
      path.join(serverRoot, 'dist/cli/index.js'),
      'serve',
    ],
    {
      DATABASE_URL: dbUrl.toString(),
      PORT: '0',
      LOG_LEVEL: 'info',
      BSM_DATA_DIR: dir,
      BSM_WORKER: 'false',
      BSM_RATE_LIMIT_PER_MINUTE: '0',
      BSM_ADMIN_PASSWORD: password,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    },
    /API listening/,
    dir,
  );
  children.push(ours.child);
  const base = JSON.parse(ours.line).address;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  const { token } = await login.json();
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${base}/api/agents`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ agentId: 'bench-agent', name: 'Bench', role: 'Echoes', modelProvider: 'echo' }),
  });
  if (!created.ok) throw new Error(`agent create: ${created.status} ${await created.text()}`);
  const agentJson = await (await fetch(`${base}/api/agents/bench-agent`, { headers: auth })).text();
  const agentFile = path.join(dir, 'agent.json');
  writeFileSync(agentFile, agentJson);
  const bare = await start(
    [path.join(root, 'bench/bareServer.mjs'), dbUrl.toString(), token, agentFile],
    {},
    /bare listening/,
    dir,
  );
  children.push(bare.child);
  const bareBase = bare.line.split(' ').pop();

  const submitBody = JSON.stringify({ agentId: 'bench-agent', input: { prompt: 'hello' } });
  const runs = {
    submit: {
      ours: () =>
        measure('POST /api/tasks', ours.child.pid, {
          url: `${base}/api/tasks`,
          method: 'POST',
          headers: auth,
          body: submitBody,
        }),
      bare: () =>
        measure('POST /bare/tasks', bare.child.pid, {
          url: `${bareBase}/bare/tasks`,
          method: 'POST',
          headers: auth,
          body: submitBody,
        }),
    },
    read: {
      ours: () =>
        measure('GET /api/agents/:id', ours.child.pid, {
          url: `${base}/api/agents/bench-agent`,
          headers: { authorization: auth.authorization },
        }),
      bare: () =>
        measure('GET /bare/agents/:id', bare.child.pid, {
          url: `${bareBase}/bare/agents/bench-agent`,
          headers: { authorization: auth.authorization },
        }),
    },
  };
  // Warm-up: JIT, pools, caches.
  await autocannon({
    url: `${base}/api/agents/bench-agent`,
    headers: { authorization: auth.authorization },
    connections: 10,
    duration: 2,
  });
  await autocannon({
    url: `${bareBase}/bare/agents/bench-agent`,
    headers: { authorization: auth.authorization },
    connections: 10,
    duration: 2,
  });

  const results = [];
  let activity;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [kind, pair] of Object.entries(runs).filter(([k]) => KINDS.includes(k))) {
      const order = round % 2 ? ['bare', 'ours'] : ['ours', 'bare'];
      const r = {};
      for (const who of order) {
        if (who === 'ours' && kind === 'submit' && round === 1) {
          const sampled = await sampleActivity(BASE_URL, name, pair.ours);
          r.ours = sampled.result;
          activity = sampled;
        } else r[who] = await pair[who]();
      }
      const ratio = r.ours.reqPerSec / r.bare.reqPerSec;
      results.push({ round, kind, ours: r.ours, bare: r.bare, ratio: Number(ratio.toFixed(3)) });
      process.stderr.write(`round ${round} ${kind}: ${JSON.stringify(results[results.length - 1])}\n`);
    }
  }

  const verify = await (await fetch(`${base}/api/audit/verify`, { headers: auth })).json();
  const c = new pg.Client({ connectionString: dbUrl.toString() });
  await c.connect();
  const { rows } = await c.query(
    `SELECT (SELECT count(*) FROM tasks)::int AS tasks,
            (SELECT count(*) FROM audit_logs WHERE action = 'task.create')::int AS audited,
            (SELECT count(*) FROM audit_logs WHERE seq IS NULL)::int AS unchained`,
  );
  await c.end();

  const top = [...(activity?.counts ?? new Map()).entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    `\nbench:api — ${CONNECTIONS} connections, ${SECONDS} s per measurement, ${ROUNDS} rounds, ${os.cpus().length} CPUs`,
  );
  console.log('round kind    ours req/s  p50 ms  µs CPU/req | bare req/s  p50 ms  µs CPU/req | ratio');
  for (const r of results) {
    console.log(
      `${String(r.round).padEnd(5)} ${r.kind.padEnd(7)} ${String(r.ours.reqPerSec).padStart(10)} ${String(r.ours.p50ms).padStart(7)} ${String(r.ours.cpuMicrosPerRequest).padStart(11)} | ${String(r.bare.reqPerSec).padStart(10)} ${String(r.bare.p50ms).padStart(7)} ${String(r.bare.cpuMicrosPerRequest).padStart(11)} | ${r.ratio.toFixed(2)}×`,
    );
  }
  for (const kind of KINDS) {
    const ratios = results.filter((r) => r.kind === kind).map((r) => r.ratio);
    console.log(
      `${kind}: ratio min ${Math.min(...ratios).toFixed(2)}× max ${Math.max(...ratios).toFixed(2)}×`,
    );
  }
  console.log(
    `\npg_stat_activity during our first submit run: ${activity?.samples ?? 0} samples; busy sessions by wait | query:`,
  );
  for (const [key, n] of top) console.log(`  ${String(n).padStart(6)}  ${key}`);
  console.log(`\naudit after the run: ${JSON.stringify(verify)}; ${JSON.stringify(rows[0])}`);
  if (!verify.ok || rows[0].audited !== rows[0].tasks || rows[0].unchained !== 0) process.exitCode = 1;
} finally {
  for (const child of children) {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
