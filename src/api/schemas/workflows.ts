import { AGENT_ID_PATTERN } from '../../core/agentManager.js';
import { MAX_APPROVAL_TIMEOUT_SECONDS } from '../../core/approvals/policy.js';
import { STEP_ID_PATTERN } from '../../core/workflows/validate.js';
import { jsonObject } from './common.js';

const step = {
  type: 'object',
  additionalProperties: false,
  // `agentId` and `input` for agent steps; `message` (and no agent) for approval steps — the
  // engine's definition check says which is missing, in words.
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: STEP_ID_PATTERN },
    type: { type: 'string', enum: ['agent', 'approval'] },
    agentId: { type: 'string', pattern: AGENT_ID_PATTERN },
    input: jsonObject,
    message: { type: 'string', minLength: 1, maxLength: 20_000 },
    onTimeout: { type: 'string', enum: ['reject', 'approve'] },
    dependsOn: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100, uniqueItems: true },
    continueOnError: { type: 'boolean' },
    // Agent steps: at most a day (a task's limit); approval steps: up to 30 days.
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: MAX_APPROVAL_TIMEOUT_SECONDS },
  },
} as const;

const definition = {
  type: 'object',
  additionalProperties: false,
  required: ['steps'],
  properties: { steps: { type: 'array', items: step, minItems: 1, maxItems: 100 } },
} as const;

const editable = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  description: { type: ['string', 'null'], maxLength: 20_000 },
  definition,
} as const;

export const workflowCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['workflowId', 'name', 'definition'],
  properties: {
    workflowId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' },
    ...editable,
  },
} as const;

export const workflowReplaceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'definition'],
  properties: editable,
} as const;

export const workflowRunBody = {
  type: 'object',
  additionalProperties: false,
  properties: { input: jsonObject },
} as const;

export const workflowSchema = {
  $id: 'Workflow',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    workflowId: { type: 'string' },
    ...editable,
    version: { type: 'integer' },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const workflowRunSchema = {
  $id: 'WorkflowRun',
  type: 'object',
  properties: {
    runId: { type: 'string', format: 'uuid' },
    workflowId: { type: 'string' },
    workflowVersion: { type: 'integer' },
    status: { type: 'string', enum: ['running', 'completed', 'failed', 'cancelled'] },
    input: jsonObject,
    output: {},
    error: { type: ['string', 'null'] },
    createdBy: { type: ['string', 'null'] },
    metadata: jsonObject,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: nullableTime,
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          stepId: { type: 'string' },
          status: {
            type: 'string',
            enum: ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'skipped'],
          },
          taskId: { type: ['string', 'null'] },
          input: {},
          output: {},
          error: { type: ['string', 'null'] },
          startedAt: nullableTime,
          completedAt: nullableTime,
        },
      },
    },
  },
} as const;
