import { AGENT_ID_PATTERN } from '../../core/agentManager.js';
import { TASK_STATUSES } from '../../domain.js';
import { jsonObject } from './common.js';

const message = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'content'],
  properties: {
    role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
    content: { type: 'string', maxLength: 200_000 },
  },
} as const;

/** SPEC §5: `{prompt}` or `{messages}`, plus optional `variables`. */
export const taskInput = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prompt: { type: 'string', maxLength: 200_000 },
    messages: { type: 'array', minItems: 1, maxItems: 500, items: message },
    variables: jsonObject,
  },
  anyOf: [{ required: ['prompt'] }, { required: ['messages'] }],
} as const;

/** Client-chosen task ids: bounded, printable, safe in URLs. */
export const TASK_ID_PATTERN = '^[A-Za-z0-9._:-]{1,100}$';

export const taskCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['agentId', 'input'],
  properties: {
    agentId: { type: 'string', pattern: AGENT_ID_PATTERN },
    type: { type: 'string', minLength: 1, maxLength: 50, default: 'execute' },
    input: taskInput,
    priority: { type: 'integer', minimum: 1, maximum: 10, default: 5 },
    maxRetries: { type: 'integer', minimum: 0, maximum: 20, default: 3 },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 300 },
    metadata: jsonObject,
    taskId: { type: 'string', pattern: TASK_ID_PATTERN },
  },
} as const;

export const agentRunBody = {
  type: 'object',
  additionalProperties: false,
  required: ['input'],
  properties: {
    input: taskInput,
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
  },
} as const;

export const taskSchema = {
  $id: 'Task',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    taskId: { type: 'string' },
    agentId: { type: ['string', 'null'], description: "the agent's human id (null if it never had one)" },
    agentUuid: {
      type: ['string', 'null'],
      format: 'uuid',
      description: 'agents.id; null once the agent is deleted',
    },
    type: { type: 'string' },
    status: { type: 'string', enum: TASK_STATUSES },
    priority: { type: 'integer' },
    input: jsonObject,
    output: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: '`{text, toolCalls?, usage}`',
    },
    error: { type: ['string', 'null'] },
    metadata: jsonObject,
    startedAt: { type: ['string', 'null'], format: 'date-time' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    retryCount: { type: 'integer' },
    maxRetries: { type: 'integer' },
    timeoutSeconds: { type: 'integer' },
    createdBy: { type: ['string', 'null'] },
    parentTaskId: { type: ['string', 'null'] },
    runAt: { type: 'string', format: 'date-time' },
    leaseOwner: { type: ['string', 'null'] },
    leaseExpiresAt: { type: ['string', 'null'], format: 'date-time' },
    threadId: { type: ['string', 'null'], description: 'the thread this task is a turn of' },
    cancelRequested: { type: 'boolean' },
  },
} as const;

export const executionSchema = {
  $id: 'Execution',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    executionId: { type: 'string' },
    agentId: { type: ['string', 'null'], description: "the agent's human id" },
    agentUuid: { type: ['string', 'null'], format: 'uuid' },
    taskId: { type: ['string', 'null'], description: "the task's human id" },
    taskUuid: { type: ['string', 'null'], format: 'uuid' },
    input: jsonObject,
    output: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: '`{text}`; null when the attempt failed',
    },
    tokensUsed: { type: ['integer', 'null'] },
    executionTimeMs: { type: ['integer', 'null'] },
    status: { type: 'string', enum: ['success', 'failure', 'timeout'] },
    errorMessage: { type: ['string', 'null'] },
    inputTokens: { type: ['integer', 'null'] },
    outputTokens: { type: ['integer', 'null'] },
    costUsd: { type: ['number', 'null'], description: 'USD at the model prices of the time' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const taskIdParams = {
  type: 'object',
  properties: { taskId: { type: 'string', pattern: TASK_ID_PATTERN } },
  required: ['taskId'],
} as const;
