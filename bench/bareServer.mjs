// The peer of `npm run bench:api` (not a test): a bare Fastify server with no auth, hooks, audit
// or logging. POST /bare/tasks does one INSERT … RETURNING into `bare_tasks` (the columns and
// indexes of `tasks`); GET /bare/agents/:id compares the bearer header and returns a fixed JSON
// from memory. Started by bench/api.mjs as a process of its own, like our server.
//   node bench/bareServer.mjs <database url> <bearer token> <agent JSON file>
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import pg from 'pg';

const [url, token, agentFile] = process.argv.slice(2);
const agentJson = readFileSync(agentFile, 'utf8');
const pool = new pg.Pool({ connectionString: url, max: 20 });
await pool.query(`CREATE TABLE IF NOT EXISTS bare_tasks (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id VARCHAR(100) UNIQUE NOT NULL,
  agent_id UUID,
  type VARCHAR(50) NOT NULL,
  status VARCHAR(20) DEFAULT 'pending',
  priority INTEGER DEFAULT 5,
  input JSONB NOT NULL,
  output JSONB,
  error TEXT,
  metadata JSONB DEFAULT '{}',
  started_at TIMESTAMP,
  completed_at TIMESTAMP,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  retry_count INTEGER DEFAULT 0,
  max_retries INTEGER DEFAULT 3,
  timeout_seconds INTEGER DEFAULT 300,
  created_by UUID,
  run_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`);
await pool.query(`CREATE INDEX IF NOT EXISTS bare_tasks_agent ON bare_tasks (agent_id);
  CREATE INDEX IF NOT EXISTS bare_tasks_status ON bare_tasks (status);
  CREATE INDEX IF NOT EXISTS bare_tasks_created_at ON bare_tasks (created_at);
  CREATE INDEX IF NOT EXISTS bare_tasks_claim ON bare_tasks (priority DESC, created_at) WHERE status = 'pending'`);

const app = Fastify({ logger: false });
const bearer = `Bearer ${token}`;
app.post('/bare/tasks', async (request, reply) => {
  const body = request.body;
  const { rows } = await pool.query(
    `INSERT INTO bare_tasks (task_id, type, input, priority) VALUES ($1, 'execute', $2, $3) RETURNING *`,
    [randomUUID(), JSON.stringify(body.input ?? {}), body.priority ?? 5],
  );
  reply.code(201);
  return rows[0];
});
app.get('/bare/agents/:id', (request, reply) => {
  if (request.headers.authorization !== bearer) return reply.code(401).send({ error: 'unauthorized' });
  reply.type('application/json');
  return agentJson;
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`bare listening ${address}\n`);
