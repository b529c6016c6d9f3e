import { AGENT_ID_PATTERN } from '../../core/agentManager.js';
import { MULTITASK_POLICIES } from '../../core/threads/threads.js';
import { jsonObject } from './common.js';

export const threadCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['agentId'],
  properties: {
    agentId: { type: 'string', pattern: AGENT_ID_PATTERN },
    metadata: jsonObject,
  },
} as const;

/** A user turn: text only — a caller cannot add `system` (or any other role's) content. */
export const threadMessageBody = {
  type: 'object',
  additionalProperties: false,
  required: ['content'],
  properties: {
    content: { type: 'string', minLength: 1, maxLength: 200_000 },
    multitask: { type: 'string', enum: MULTITASK_POLICIES, default: 'reject' },
  },
} as const;

export const threadIdParams = {
  type: 'object',
  properties: { threadId: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['threadId'],
} as const;

const threadProperties = {
  threadId: { type: 'string' },
  agentId: { type: 'string', description: "the agent's human id" },
  status: { type: 'string', enum: ['idle', 'busy'] },
  createdBy: { type: ['string', 'null'] },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
  metadata: jsonObject,
} as const;

export const threadSchema = { type: 'object', properties: threadProperties } as const;

export const threadMessageSchema = {
  type: 'object',
  properties: {
    role: { type: 'string', enum: ['user', 'assistant', 'tool'] },
    content: { type: 'string' },
    toolCalls: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, arguments: {} },
      },
    },
    toolCallId: { type: 'string' },
    taskId: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const threadWithMessagesSchema = {
  type: 'object',
  properties: { ...threadProperties, messages: { type: 'array', items: threadMessageSchema } },
} as const;
