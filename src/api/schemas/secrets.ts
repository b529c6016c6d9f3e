import { SECRET_NAME_PATTERN } from '../../security/vault/index.js';

export const secretInfoSchema = {
  $id: 'SecretInfo',
  type: 'object',
  description: 'A secret as listed: its name and dates, never its value',
  properties: {
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['name', 'createdAt', 'updatedAt'],
  additionalProperties: false,
} as const;

export const secretParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: SECRET_NAME_PATTERN } },
  required: ['name'],
} as const;

export const secretPutBody = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  // The byte limit (64 KiB) is checked by the vault; 65536 characters bounds it here.
  properties: { value: { type: 'string', minLength: 1, maxLength: 65_536 } },
} as const;
