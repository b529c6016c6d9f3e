import { handleParam, jsonObject } from './common.js';

const cron = {
  type: 'string',
  minLength: 9,
  maxLength: 200,
  description: '5 fields, or 6 with seconds first',
} as const;
const timezone = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  description: 'IANA zone, e.g. Europe/Berlin',
} as const;
const target = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['agentId', 'input'],
      properties: { agentId: handleParam, input: jsonObject },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['workflowId', 'input'],
      properties: { workflowId: handleParam, input: jsonObject },
    },
  ],
} as const;
const overlap = { type: 'string', enum: ['skip', 'allow'] } as const;
const catchUp = { type: 'string', enum: ['none', 'latest'] } as const;

export const scheduleCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scheduleId', 'cron', 'target'],
  properties: {
    scheduleId: handleParam,
    cron,
    timezone,
    target,
    overlap,
    catchUp,
    enabled: { type: 'boolean' },
  },
} as const;

export const schedulePatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { cron, timezone, target, overlap, catchUp, enabled: { type: 'boolean' } },
} as const;

export const scheduleParams = {
  type: 'object',
  properties: { scheduleId: handleParam },
  required: ['scheduleId'],
} as const;

export const scheduleSchema = {
  $id: 'Schedule',
  type: 'object',
  properties: {
    scheduleId: { type: 'string' },
    cron: { type: 'string' },
    timezone: { type: 'string' },
    target: {
      type: 'object',
      properties: { agentId: { type: 'string' }, workflowId: { type: 'string' }, input: jsonObject },
      required: ['input'],
    },
    overlap,
    catchUp,
    enabled: { type: 'boolean' },
    nextFireAt: { type: ['string', 'null'], format: 'date-time' },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['scheduleId', 'cron', 'timezone', 'target', 'overlap', 'catchUp', 'enabled', 'nextFireAt'],
} as const;

export const scheduleFireSchema = {
  $id: 'ScheduleFire',
  type: 'object',
  properties: {
    fireTime: { type: 'string', format: 'date-time' },
    kind: { type: 'string', enum: ['cron', 'catch-up', 'manual'] },
    status: { type: 'string', enum: ['fired', 'skipped', 'failed'] },
    error: { type: ['string', 'null'] },
    taskId: { type: ['string', 'null'], description: 'the task’s taskId (agent targets)' },
    runId: { type: ['string', 'null'], description: 'the workflow run (workflow targets)' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['fireTime', 'kind', 'status', 'taskId', 'runId'],
} as const;
