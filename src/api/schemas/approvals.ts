import { APPROVAL_STATUSES } from '../../repositories/approvals.js';

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** SPEC §11: the approval object. */
export const approvalSchema = {
  $id: 'Approval',
  type: 'object',
  properties: {
    approvalId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: APPROVAL_STATUSES },
    kind: { type: 'string', enum: ['tool_call', 'workflow_step'] },
    taskId: { type: ['string', 'null'], description: "the task's human id (tool calls)" },
    runId: { type: ['string', 'null'] },
    stepId: { type: ['string', 'null'] },
    action: { type: ['string', 'null'] },
    args: {},
    message: { type: ['string', 'null'] },
    requestedBy: { type: ['string', 'null'], description: 'users.id of the task or run owner' },
    decidedBy: { type: ['string', 'null'], description: 'users.id of the decider; null on expiry' },
    comment: { type: ['string', 'null'] },
    onTimeout: { type: 'string', enum: ['reject', 'approve'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    decidedAt: nullableTime,
  },
  required: ['approvalId', 'status', 'kind', 'requestedBy', 'createdAt', 'expiresAt'],
} as const;

export const approvalIdParams = {
  type: 'object',
  required: ['approvalId'],
  properties: { approvalId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9-]+$' } },
} as const;

export const approvalListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: APPROVAL_STATUSES },
    taskId: { type: 'string', minLength: 1, maxLength: 100 },
    runId: { type: 'string', minLength: 1, maxLength: 100 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
  },
} as const;

const comment = { type: 'string', maxLength: 10_000 } as const;

export const approveBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    comment,
    args: { type: 'object', additionalProperties: true, description: "replaces the tool call's arguments" },
  },
} as const;

export const rejectBody = {
  type: 'object',
  additionalProperties: false,
  properties: { comment },
} as const;
