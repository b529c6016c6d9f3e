import { AGENT_ID_PATTERN } from '../../core/agentManager.js';
import { AGENT_STATUSES } from '../../domain.js';
import { jsonObject } from './common.js';

const stringList = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 200 },
  maxItems: 100,
} as const;

const editable = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  role: { type: 'string', minLength: 1, maxLength: 20_000 },
  description: { type: ['string', 'null'], maxLength: 20_000 },
  modelProvider: { type: 'string', minLength: 1, maxLength: 50 },
  modelKey: { type: 'string', minLength: 1, maxLength: 50 },
  modelName: { type: ['string', 'null'], maxLength: 100 },
  status: { type: 'string', enum: AGENT_STATUSES },
  capabilities: stringList,
  actions: stringList,
  config: jsonObject,
} as const;

export const agentCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['agentId', 'name', 'role'],
  properties: { agentId: { type: 'string', pattern: AGENT_ID_PATTERN }, ...editable },
} as const;

export const agentPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: editable,
} as const;

export const agentSchema = {
  $id: 'Agent',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    agentId: { type: 'string' },
    ...editable,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    createdBy: { type: ['string', 'null'] },
    version: { type: 'integer' },
  },
} as const;
