// Streaming benchmark (not a test): what token streaming costs the queue. Drains BENCH_JOBS (1,000)
// `echo` tasks of BENCH_WORDS (10) words each, once with the agent's streaming off
// (`config.stream: false`: no deltas) and once on (one `task:delta` event per word, written to the
// event log in batches), each in a database of its own, BENCH_ROUNDS (2) times alternating.
//
//   npm run bench:streaming        (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';
import { createSystem } from '../dist/system.js';

const BASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const JOBS = Number(process.env.BENCH_JOBS ?? 1_000);
const WORDS = Number(process.env.BENCH_WORDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function drain(stream) {
  const name = `bsm_bench_stream_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  const config = loadConfig({
    DATABASE_URL: u.toString(),
    LOG_LEVEL: 'silent',
    BSM_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'bsm-bench-')),
    BSM_MAX_CONCURRENT_TASKS: String(CONCURRENCY),
  });
  const system = await createSystem(config, { logger: createLogger('silent'), worker: true });
  try {
    await system.agents.create({
      agentId: 'echo',
      name: 'Echo',
      role: 'echo',
      modelProvider: 'echo',
      config: { stream },
    });
    const prompt = Array.from({ length: WORDS }, (_, i) => `word${i}`).join(' ');
    for (let i = 0; i < JOBS; i++)
      await system.queue.submit({ agentId: 'echo', input: { prompt }, taskId: `j-${i}` });
    await system.eventLog.flush();
    const before = system.eventLog.metrics();
    const t0 = performance.now();
    await system.engine.start();
    for (;;) {
      const { rows } = await system.db.query(`SELECT count(*) AS n FROM tasks WHERE status = 'completed'`);
      if (Number(rows[0].n) >= JOBS) break;
      await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    await system.eventLog.flush();
    const after = system.eventLog.metrics();
    const { rows } = await system.db.query(`SELECT count(*) AS n FROM event_log WHERE type = 'task:delta'`);
    return {
      stream,
      tasksPerSecond: Math.round(JOBS / seconds),
      seconds: Number(seconds.toFixed(2)),
      deltas: Number(rows[0].n),
      eventsLogged: after.appended - before.appended,
      logBatches: after.batches - before.batches,
    };
  } finally {
    await system.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const stream of [false, true]) {
    const r = await drain(stream);
    process.stderr.write(`${JSON.stringify(r)}\n`);
    results.push(r);
  }
}
const best = (stream) => Math.max(...results.filter((r) => r.stream === stream).map((r) => r.tasksPerSecond));
console.log(
  JSON.stringify(
    { jobs: JOBS, words: WORDS, concurrency: CONCURRENCY, off: best(false), on: best(true), results },
    null,
    2,
  ),
);
