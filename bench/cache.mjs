// Agent-read throughput by agentId with the cache cold, warm and disabled, in one run.
// `npm run bench:cache` (builds first). Uses PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set,
// else the embedded database and the in-process cache. Creates its own database and key prefix
// and removes only those.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createCacheService } from '../dist/cache/index.js';
import { loadConfig } from '../dist/config.js';
import { AgentManager } from '../dist/core/agentManager.js';
import { createSystem } from '../dist/system.js';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 2_000);
const READS = Number(process.env.BENCH_READS ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const suffix = randomBytes(4).toString('hex');
const dataDir = mkdtempSync(path.join(tmpdir(), 'bsm-bench-'));
let databaseUrl;
let dropDatabase = async () => {};
if (process.env.DATABASE_URL) {
  const name = `bsm_bench_${suffix}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(process.env.DATABASE_URL);
  u.pathname = `/${name}`;
  databaseUrl = u.toString();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
}

const config = loadConfig({
  LOG_LEVEL: 'silent',
  BSM_DATA_DIR: dataDir,
  BSM_REDIS_PREFIX: `bsm_bench_${suffix}:`,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
});
const system = await createSystem(config);
const extra = [];

try {
  const ids = [];
  for (let i = 0; i < AGENTS; i++) {
    const agent = await system.repos.agents.create({
      agentId: `bench-agent-${i}`,
      name: `Bench agent ${i}`,
      role: 'Answers benchmark questions.',
      modelProvider: 'echo',
      capabilities: ['bench', 'read'],
      config: { temperature: 0.2, notes: 'x'.repeat(200) },
    });
    ids.push(agent.agentId);
  }

  const managerWith = (cache) =>
    new AgentManager({
      repo: system.repos.agents,
      logger: system.logger,
      events: system.events,
      providers: () => ['echo'],
      actions: () => [],
      cache,
    });

  /** `reads` reads of agents (the i-th read takes ids[i % n]) by CONCURRENCY concurrent callers. */
  async function measure(label, manager, reads) {
    const latencies = new Float64Array(reads);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < reads) {
          const i = next++;
          const t0 = performance.now();
          const agent = await manager.get(ids[i % ids.length]);
          latencies[i] = performance.now() - t0;
          if (agent.agentId !== ids[i % ids.length]) throw new Error('wrong agent');
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    latencies.sort();
    const pct = (p) => latencies[Math.min(reads - 1, Math.floor(reads * p))].toFixed(2);
    return {
      mode: label,
      reads,
      seconds: seconds.toFixed(2),
      'reads/s': Math.round(reads / seconds),
      'p50 ms': pct(0.5),
      'p99 ms': pct(0.99),
    };
  }

  const rows = [];
  rows.push(await measure('disabled (database only)', managerWith(undefined), READS));
  await system.cache.flush();
  rows.push(await measure('cold (every read a miss)', system.agents, AGENTS));
  rows.push(await measure('warm', system.agents, READS));
  if (config.redisUrl) {
    const redisOnly = await createCacheService(config, system.logger, `${system.nodeId}:bench`, {
      nearCache: false,
    });
    extra.push(redisOnly);
    const manager = managerWith(redisOnly);
    await measure('fill', manager, AGENTS);
    rows.push(await measure('warm, Redis only (near-cache off)', manager, READS));
  }
  const m = system.cache.metrics();
  console.log(
    `agent reads by agentId — database: ${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite'}, cache: ${config.redisUrl ? 'Redis + near-cache' : 'in-process'}; ` +
      `${AGENTS} agents, concurrency ${CONCURRENCY}; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`,
  );
  console.table(rows);
  console.log(`cache metrics: hits ${m.hits} (local ${m.localHits}), misses ${m.misses}, errors ${m.errors}`);
} finally {
  await system.cache.flush();
  for (const c of extra) await c.close();
  await system.close();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
}
