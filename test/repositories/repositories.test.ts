import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { AppError } from '../../src/errors.js';
import { createRepositories, type Repositories } from '../../src/repositories/index.js';
import { TaskRepository } from '../../src/repositories/tasks.js';
import { AuditService } from '../../src/security/audit.js';
import { createTestDatabase, dbTargets, quietLogger, type TestDatabase } from '../helpers/db.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const rejectsWith = async (promise: Promise<unknown>, status: number, code: string) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).statusCode).toBe(status);
  expect((error as AppError).code).toBe(code);
};

describe.each(dbTargets)('repositories on %s', (target) => {
  let t: TestDatabase;
  let repos: Repositories;
  beforeAll(async () => {
    t = await createTestDatabase(target);
    await migrate(t.db, quietLogger);
    repos = createRepositories(t.db);
  });
  afterAll(() => t.drop());

  describe('agents', () => {
    it('creates an agent with the seed defaults and finds it by id and agentId', async () => {
      const agent = await repos.agents.create({ agentId: 'writer', name: 'Writer', role: 'writes' });
      expect(agent).toMatchObject({
        agentId: 'writer',
        modelProvider: 'openai',
        modelKey: 'bsm',
        status: 'active',
        version: 1,
        capabilities: [],
        actions: [],
        config: {},
      });
      expect(agent.createdAt).toBeInstanceOf(Date);
      expect(Math.abs(agent.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(await repos.agents.findById(agent.id)).toEqual(agent);
      expect(await repos.agents.findByAgentId('writer')).toEqual(agent);
    });

    it('answers 409 AGENT_EXISTS for a duplicate agentId and 404 for a missing one', async () => {
      await rejectsWith(
        repos.agents.create({ agentId: 'writer', name: 'W', role: 'r' }),
        409,
        'AGENT_EXISTS',
      );
      await rejectsWith(repos.agents.findByAgentId('nobody'), 404, 'AGENT_NOT_FOUND');
      await rejectsWith(repos.agents.findById('not-a-uuid'), 404, 'AGENT_NOT_FOUND');
      await rejectsWith(repos.agents.delete('nobody'), 404, 'AGENT_NOT_FOUND');
    });

    it('updates only known columns, bumping updated_at and version', async () => {
      const before = await repos.agents.findByAgentId('writer');
      const after = await repos.agents.update('writer', {
        name: 'Writer 2',
        capabilities: ['prose'],
        config: { a: 1 },
      });
      expect(after).toMatchObject({
        name: 'Writer 2',
        capabilities: ['prose'],
        config: { a: 1 },
        version: before.version + 1,
      });
      expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    });

    it('rejects a column name taken from input and changes nothing', async () => {
      const before = await repos.agents.findByAgentId('writer');
      const hostile = { "name = 'x'; --": 'boom', name: 'should not apply' } as never;
      await rejectsWith(repos.agents.update('writer', hostile), 400, 'VALIDATION_ERROR');
      expect(await repos.agents.findByAgentId('writer')).toEqual(before);
    });

    it('lists newest first with status filter and pagination totals', async () => {
      // PGlite's clock ticks in milliseconds: space the inserts so "newest" is well defined.
      await tick();
      await repos.agents.create({ agentId: 'second', name: 'Second', role: 'r', status: 'inactive' });
      await tick();
      await repos.agents.create({ agentId: 'third', name: 'Third', role: 'r' });
      const page = await repos.agents.findAll({ limit: 2 });
      expect(page.items.map((a) => a.agentId)).toEqual(['third', 'second']);
      expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
      const inactive = await repos.agents.findAll({ status: 'inactive' });
      expect(inactive.items.map((a) => a.agentId)).toEqual(['second']);
      expect((await repos.agents.findActive()).map((a) => a.agentId).sort()).toEqual(['third', 'writer']);
    });

    it('searches name, role, description and capabilities, best match first', async () => {
      await repos.agents.create({
        agentId: 'counsel',
        name: 'Counsel',
        role: 'lawyer',
        description: 'Performs legal review of contracts and other legal documents',
      });
      await repos.agents.create({
        agentId: 'legal-eagle',
        name: 'Legal Eagle',
        role: 'legal assistant',
        capabilities: ['legal'],
      });
      await repos.agents.create({ agentId: 'cook', name: 'Cook', role: 'chef', description: 'makes soup' });
      const result = await repos.agents.search('legal');
      expect(result.items.map((a) => a.agentId)).toEqual(['legal-eagle', 'counsel']);
      expect(result.total).toBe(2);
      expect((await repos.agents.search('soups')).items.map((a) => a.agentId)).toEqual(['cook']);
      expect((await repos.agents.search("'; DROP TABLE agents; --")).items).toEqual([]);
      expect((await repos.agents.findAll()).total).toBe(6);
    });

    it('deletes an agent', async () => {
      await repos.agents.delete('cook');
      await rejectsWith(repos.agents.findByAgentId('cook'), 404, 'AGENT_NOT_FOUND');
    });
  });

  describe('tasks and executions', () => {
    it('orders by priority then age and maintains started_at / completed_at', async () => {
      const agent = await repos.agents.findByAgentId('writer');
      const low = await repos.tasks.create({
        taskId: 't-low',
        agentId: agent.id,
        input: { prompt: 'a' },
        priority: 1,
      });
      const high = await repos.tasks.create({
        taskId: 't-high',
        agentId: agent.id,
        input: { prompt: 'b' },
        priority: 9,
      });
      const mid = await repos.tasks.create({ taskId: 't-mid', agentId: agent.id, input: { prompt: 'c' } });
      expect(mid).toMatchObject({
        agentId: 'writer',
        agentUuid: agent.id,
        type: 'execute',
        priority: 5,
        status: 'pending',
        maxRetries: 3,
        timeoutSeconds: 300,
        retryCount: 0,
      });
      expect((await repos.tasks.findByStatus('pending')).map((x) => x.taskId)).toEqual([
        't-high',
        't-mid',
        't-low',
      ]);
      const running = await repos.tasks.updateStatus(high.id, 'running');
      expect(running.startedAt).toBeInstanceOf(Date);
      const again = await repos.tasks.updateStatus(high.id, 'running');
      expect(again.startedAt).toEqual(running.startedAt);
      const done = await repos.tasks.updateStatus(high.id, 'completed', { output: { text: 'ok' } });
      expect(done).toMatchObject({ status: 'completed', output: { text: 'ok' } });
      expect(done.completedAt).toBeInstanceOf(Date);
      const cancelled = await repos.tasks.updateStatus(low.id, 'cancelled');
      expect(cancelled.completedAt).toBeInstanceOf(Date);
      const retried = await repos.tasks.incrementRetry(mid.id);
      expect(retried.retryCount).toBe(1);
      expect(TaskRepository.canRetry(retried)).toBe(true);
      expect(TaskRepository.canRetry({ retryCount: 3, maxRetries: 3 })).toBe(false);
      await rejectsWith(
        repos.tasks.create({ taskId: 't-mid', agentId: agent.id, input: {} }),
        409,
        'TASK_EXISTS',
      );
      const page = await repos.tasks.list({ status: 'pending', agentId: agent.id });
      expect(page.items.map((x) => x.taskId)).toEqual(['t-mid']);

      const exec = await repos.executions.create({
        executionId: 'e1',
        agentId: agent.id,
        taskId: high.id,
        input: '{"prompt":"b"}',
        output: 'ok',
        tokensUsed: 1,
        executionTimeMs: 5,
        status: 'success',
      });
      expect(exec).toMatchObject({ executionId: 'e1', tokensUsed: 1, status: 'success' });
      // Human ids beside the UUIDs; the TEXT columns come back as objects.
      const shape = {
        taskId: 't-high',
        taskUuid: high.id,
        agentId: 'writer',
        agentUuid: agent.id,
        input: { prompt: 'b' },
        output: { text: 'ok' },
      };
      expect(exec).toMatchObject(shape);
      const [found] = await repos.executions.findByTask(high.id);
      expect(found).toMatchObject({ executionId: 'e1', ...shape });
    });
  });

  describe('users, audit logs and models', () => {
    it('keeps users unique and never maps the password hash out', async () => {
      const user = await repos.users.create({ username: 'ann', email: 'ann@example.com', passwordHash: 'h' });
      expect(user).toMatchObject({ username: 'ann', role: 'user', isActive: true });
      expect(JSON.stringify(user)).not.toContain('"h"');
      expect(user).not.toHaveProperty('passwordHash');
      await rejectsWith(
        repos.users.create({ username: 'ann', email: 'x@example.com', passwordHash: 'h' }),
        409,
        'USER_EXISTS',
      );
      const updated = await repos.users.update(user.id, { isActive: false, role: 'viewer' });
      expect(updated).toMatchObject({ isActive: false, role: 'viewer' });
      expect((await repos.users.findRowByUsername('ann'))?.password_hash).toBe('h');
      expect(await repos.users.findRowByUsername('nobody')).toBeUndefined();
      expect((await repos.users.list({ role: 'viewer' })).total).toBe(1);
    });

    it('filters audit rows by user, action, resource type and date', async () => {
      const user = await repos.users.create({ username: 'bob', email: 'bob@example.com', passwordHash: 'h' });
      const audit = new AuditService(t.db, quietLogger, { current: Buffer.alloc(32, 7), older: [] });
      await audit.append({
        userId: user.id,
        action: 'agent.create',
        resourceType: 'agent',
        resourceId: 'x',
        ipAddress: '127.0.0.1',
        userAgent: 'test',
      });
      await audit.append({ action: 'auth.login_failed', resourceType: 'user' });
      expect((await repos.auditLogs.list({ userId: user.id })).items).toHaveLength(1);
      expect((await repos.auditLogs.list({ action: 'auth.login_failed' })).items[0]).toMatchObject({
        userId: null,
        resourceType: 'user',
      });
      expect((await repos.auditLogs.list({ resourceType: 'agent' })).items[0]).toMatchObject({
        ipAddress: '127.0.0.1',
        userAgent: 'test',
      });
      expect((await repos.auditLogs.list({ from: new Date(Date.now() + 3_600_000) })).total).toBe(0);
      expect((await repos.auditLogs.list({ to: new Date(Date.now() + 3_600_000) })).total).toBe(2);
      expect(await repos.auditLogs.countByAction()).toEqual({ 'agent.create': 1, 'auth.login_failed': 1 });
    });

    it('registers, updates and deploys models', async () => {
      const model = await repos.mlModels.create({ modelId: 'm1', name: 'M', type: 'nlp', version: '1.0' });
      expect(model).toMatchObject({ status: 'training', deployedAt: null });
      await rejectsWith(
        repos.mlModels.create({ modelId: 'm1', name: 'M', type: 'nlp', version: '1' }),
        409,
        'MODEL_EXISTS',
      );
      expect((await repos.mlModels.update('m1', { metrics: { f1: 0.9 } })).metrics).toEqual({ f1: 0.9 });
      const deployed = await repos.mlModels.deploy('m1');
      expect(deployed.status).toBe('deployed');
      expect(deployed.deployedAt).toBeInstanceOf(Date);
      await rejectsWith(repos.mlModels.deploy('nope'), 404, 'MODEL_NOT_FOUND');
      await repos.mlModels.delete('m1');
      expect((await repos.mlModels.list()).total).toBe(0);
    });
  });
});
