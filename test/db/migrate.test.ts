import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, MigrationError, migrate } from '../../src/db/migrate.js';
import { createPgDb } from '../../src/db/pg.js';
import {
  createTestDatabase,
  dbTargets,
  quietLogger,
  serverDatabaseUrl,
  type TestDatabase,
} from '../helpers/db.js';

/** The seed's six tables, column by column: name, type, default (as information_schema shows it). */
const SEED_COLUMNS: Record<string, Array<[string, string, string | null]>> = {
  agents: [
    ['id', 'uuid', 'gen_random_uuid()'],
    ['agent_id', 'character varying(100)', null],
    ['name', 'character varying(255)', null],
    ['role', 'text', null],
    ['description', 'text', null],
    ['model_provider', 'character varying(50)', "'openai'::character varying"],
    ['model_key', 'character varying(50)', "'bsm'::character varying"],
    ['model_name', 'character varying(100)', null],
    ['status', 'character varying(20)', "'active'::character varying"],
    ['capabilities', 'jsonb', "'[]'::jsonb"],
    ['actions', 'jsonb', "'[]'::jsonb"],
    ['config', 'jsonb', "'{}'::jsonb"],
    ['created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
    ['updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
    ['created_by', 'uuid', null],
    ['version', 'integer', '1'],
  ],
  tasks: [
    ['id', 'uuid', 'gen_random_uuid()'],
    ['task_id', 'character varying(100)', null],
    ['agent_id', 'uuid', null],
    ['type', 'character varying(50)', null],
    ['status', 'character varying(20)', "'pending'::character varying"],
    ['priority', 'integer', '5'],
    ['input', 'jsonb', null],
    ['output', 'jsonb', null],
    ['error', 'text', null],
    ['metadata', 'jsonb', "'{}'::jsonb"],
    ['started_at', 'timestamp without time zone', null],
    ['completed_at', 'timestamp without time zone', null],
    ['created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
    ['retry_count', 'integer', '0'],
    ['max_retries', 'integer', '3'],
    ['timeout_seconds', 'integer', '300'],
  ],
  users: [
    ['id', 'uuid', 'gen_random_uuid()'],
    ['username', 'character varying(100)', null],
    ['email', 'character varying(255)', null],
    ['password_hash', 'text', null],
    ['role', 'character varying(50)', "'user'::character varying"],
    ['is_active', 'boolean', 'true'],
    ['last_login', 'timestamp without time zone', null],
    ['created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
    ['updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
  ],
  audit_logs: [
    ['id', 'uuid', 'gen_random_uuid()'],
    ['user_id', 'uuid', null],
    ['action', 'character varying(100)', null],
    ['resource_type', 'character varying(50)', null],
    ['resource_id', 'character varying(100)', null],
    ['details', 'jsonb', "'{}'::jsonb"],
    ['ip_address', 'inet', null],
    ['user_agent', 'text', null],
    ['created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
  ],
  ml_models: [
    ['id', 'uuid', 'gen_random_uuid()'],
    ['model_id', 'character varying(100)', null],
    ['name', 'character varying(255)', null],
    ['type', 'character varying(50)', null],
    ['version', 'character varying(20)', null],
    ['status', 'character varying(20)', "'training'::character varying"],
    ['framework', 'character varying(50)', null],
    ['metrics', 'jsonb', "'{}'::jsonb"],
    ['config', 'jsonb', "'{}'::jsonb"],
    ['file_path', 'text', null],
    ['created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
    ['deployed_at', 'timestamp without time zone', null],
    ['created_by', 'uuid', null],
  ],
  agent_executions: [
    ['id', 'uuid', 'gen_random_uuid()'],
    ['execution_id', 'character varying(100)', null],
    ['agent_id', 'uuid', null],
    ['task_id', 'uuid', null],
    ['input', 'text', null],
    ['output', 'text', null],
    ['tokens_used', 'integer', null],
    ['execution_time_ms', 'integer', null],
    ['status', 'character varying(20)', "'success'::character varying"],
    ['error_message', 'text', null],
    ['created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
  ],
};

/** Columns later migrations add after the seed's (which keep their order, types and defaults). */
const ADDED_COLUMNS: Record<string, Array<[string, string, string | null]>> = {
  // 008_task_queue.sql
  tasks: [
    ['created_by', 'uuid', null],
    ['run_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'],
    ['lease_owner', 'character varying(200)', null],
    ['lease_expires_at', 'timestamp without time zone', null],
    ['cancel_requested', 'boolean', 'false'],
    ['parent_task_id', 'uuid', null],
    // 030_durable_waits.sql
    ['checkpoint', 'jsonb', null],
    // 032_threads.sql
    ['thread_id', 'uuid', null],
    // 036_task_agent_handle.sql
    ['agent_handle', 'character varying(100)', null],
    // 037_task_traceparent.sql
    ['traceparent', 'character varying(55)', null],
  ],
};

const SEED_INDEXES = [
  'idx_agents_agent_id',
  'idx_agents_status',
  'idx_agents_created_at',
  'idx_tasks_task_id',
  'idx_tasks_agent_id',
  'idx_tasks_status',
  'idx_tasks_priority',
  'idx_tasks_created_at',
  'idx_users_username',
  'idx_users_email',
  'idx_audit_logs_user_id',
  'idx_audit_logs_action',
  'idx_audit_logs_resource_type',
  'idx_audit_logs_created_at',
  'idx_ml_models_model_id',
  'idx_ml_models_status',
  'idx_agent_executions_agent_id',
  'idx_agent_executions_task_id',
  'idx_agent_executions_created_at',
];

/** [table, column, referenced table, on delete] */
const SEED_FOREIGN_KEYS = [
  ['tasks', 'agent_id', 'agents', 'CASCADE'],
  ['audit_logs', 'user_id', 'users', 'SET NULL'],
  ['ml_models', 'created_by', 'users', 'NO ACTION'],
  ['agent_executions', 'agent_id', 'agents', 'CASCADE'],
  ['agent_executions', 'task_id', 'tasks', 'CASCADE'],
];

describe.each(dbTargets)('migrations on %s', (target) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(target);
  });
  afterAll(() => t.drop());

  it('creates the seed tables with their exact columns, types and defaults', async () => {
    await migrate(t.db, quietLogger);
    for (const [table, expected] of Object.entries(SEED_COLUMNS)) {
      const { rows } = await t.db.query<{ column_name: string; type: string; column_default: string | null }>(
        `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
                pg_get_expr(d.adbin, d.adrelid) AS column_default
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         ORDER BY a.attnum`,
        [table],
      );
      // Later migrations only add columns, after the seed's: the seed's come first, unchanged, and
      // the columns we know later migrations add follow them.
      const full = [...expected, ...(ADDED_COLUMNS[table] ?? [])];
      expect(
        rows.slice(0, full.length).map((r) => [r.column_name, r.type, r.column_default]),
        table,
      ).toEqual(full);
    }
  });

  it('creates the seed indexes, unique keys and foreign keys', async () => {
    const { rows: indexes } = await t.db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`,
    );
    const names = indexes.map((r) => r.indexname);
    for (const index of SEED_INDEXES) expect(names).toContain(index);
    for (const unique of [
      'agents_agent_id_key',
      'tasks_task_id_key',
      'users_username_key',
      'users_email_key',
      'ml_models_model_id_key',
      'agent_executions_execution_id_key',
    ]) {
      expect(names).toContain(unique);
    }
    const { rows: fks } = await t.db.query<{ tbl: string; col: string; ref: string; del: string }>(
      `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confrelid::regclass::text AS ref,
              CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'a' THEN 'NO ACTION' ELSE c.confdeltype::text END AS del
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f'`,
    );
    const found = fks.map((f) => [f.tbl, f.col, f.ref, f.del]);
    for (const fk of SEED_FOREIGN_KEYS) expect(found).toContainEqual(fk);
  });

  it('records every file with its checksum and changes nothing when run again', async () => {
    const again = await migrate(t.db, quietLogger);
    expect(again).toEqual([]);
    const { rows } = await t.db.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual(loadMigrations().map((m) => ({ name: m.name, checksum: m.checksum })));
  });

  it('refuses to run when an applied migration was edited', async () => {
    const edited = loadMigrations().map((m, i) =>
      i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'x'.repeat(64) } : m,
    );
    await expect(migrate(t.db, quietLogger, edited)).rejects.toThrow(MigrationError);
    await expect(migrate(t.db, quietLogger, edited)).rejects.toThrow(/001_agents was edited/);
  });

  it('rolls back a failing migration as a whole', async () => {
    const broken = [
      ...loadMigrations(),
      {
        version: '999',
        name: '999_broken',
        sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();',
        checksum: '0'.repeat(64),
      },
    ];
    await expect(migrate(t.db, quietLogger, broken)).rejects.toThrow(/999_broken failed/);
    const { rows } = await t.db.query(`SELECT to_regclass('half_done') AS t`);
    expect(rows[0]).toEqual({ t: null });
  });
});

describe.runIf(serverDatabaseUrl)('migrations on a shared PostgreSQL', () => {
  it('lets two nodes starting at the same moment both succeed, migrating once', async () => {
    const t = await createTestDatabase('pg');
    const other = createPgDb(t.url!, 5, quietLogger);
    try {
      const [a, b] = await Promise.all([migrate(t.db, quietLogger), migrate(other, quietLogger)]);
      expect([...a, ...b].sort()).toEqual(loadMigrations().map((m) => m.name));
      const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0].n).toBe(loadMigrations().length);
    } finally {
      await other.close();
      await t.drop();
    }
  });
});
