import type { ActionContext } from '../../../src/core/plugins/types.js';
import type { Agent, Task } from '../../../src/domain.js';
import { quietLogger } from '../../helpers/db.js';

export function fakeAgent(overrides: Partial<Agent> = {}): Agent {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    agentId: 'tester',
    name: 'Tester',
    role: 'tests',
    description: null,
    modelProvider: 'echo',
    modelKey: 'bsm',
    modelName: null,
    status: 'active',
    capabilities: [],
    actions: [],
    config: {},
    createdAt: new Date(),
    updatedAt: new Date(),
    createdBy: null,
    version: 1,
    ...overrides,
  };
}

export function fakeTask(overrides: Partial<Task> = {}): Task {
  return {
    id: '00000000-0000-4000-8000-000000000002',
    taskId: 'task-1',
    agentId: 'agent-1',
    agentUuid: '00000000-0000-4000-8000-000000000001',
    type: 'execute',
    status: 'running',
    priority: 5,
    input: { prompt: 'hi' },
    output: null,
    error: null,
    metadata: {},
    startedAt: new Date(),
    completedAt: null,
    createdAt: new Date(),
    retryCount: 0,
    maxRetries: 3,
    timeoutSeconds: 300,
    createdBy: null,
    parentTaskId: null,
    runAt: new Date(),
    leaseOwner: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    ...overrides,
  };
}

export function actionContext(overrides: Partial<ActionContext> = {}): ActionContext {
  return {
    signal: new AbortController().signal,
    task: fakeTask(),
    agent: fakeAgent(),
    logger: quietLogger,
    depth: 0,
    counters: new Map(),
    ...overrides,
  };
}
