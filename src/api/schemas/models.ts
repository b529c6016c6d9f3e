import { MODEL_STATUSES } from '../../domain.js';
import { jsonObject } from './common.js';

const editable = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  type: { type: 'string', minLength: 1, maxLength: 50 },
  version: { type: 'string', minLength: 1, maxLength: 20 },
  status: { type: 'string', enum: MODEL_STATUSES },
  framework: { type: ['string', 'null'], maxLength: 50 },
  metrics: jsonObject,
  config: jsonObject,
  parameters: {
    type: 'object',
    additionalProperties: true,
    description: 'Model parameters; prices in USD per million tokens price every agent using the model',
    properties: {
      inputPricePerMTok: { type: 'number', minimum: 0, maximum: 1_000_000 },
      outputPricePerMTok: { type: 'number', minimum: 0, maximum: 1_000_000 },
    },
  },
  filePath: { type: ['string', 'null'], maxLength: 4096 },
} as const;

export const modelCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['modelId', 'name', 'type', 'version'],
  properties: {
    modelId: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' },
    ...editable,
  },
} as const;

export const modelPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: editable,
} as const;

export const modelSchema = {
  $id: 'Model',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    modelId: { type: 'string' },
    ...editable,
    createdAt: { type: 'string', format: 'date-time' },
    deployedAt: { type: ['string', 'null'], format: 'date-time' },
    createdBy: { type: ['string', 'null'] },
  },
} as const;
