import { jsonObject, pageQuery } from './common.js';

export const auditLogSchema = {
  $id: 'AuditLog',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    seq: { type: ['integer', 'null'] },
    userId: { type: ['string', 'null'] },
    action: { type: 'string' },
    resourceType: { type: 'string' },
    resourceId: { type: ['string', 'null'] },
    details: jsonObject,
    ipAddress: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    prevHash: { type: ['string', 'null'] },
    hash: { type: ['string', 'null'] },
  },
} as const;

/** Audit verbs and resource types are our own dotted/snake names: anything else cannot match. */
const auditName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' } as const;

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    userId: { type: 'string', format: 'uuid' },
    action: auditName,
    resourceType: { ...auditName, maxLength: 50 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    ...pageQuery,
  },
} as const;

/** `?head=<seq>:<hash>`: a head recorded earlier that the chain must still contain. */
export const verifyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    head: { type: 'string', maxLength: 85, pattern: '^[0-9]{1,19}:[0-9a-f]{64}$' },
  },
} as const;

export const verificationSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    checked: { type: 'integer' },
    firstBrokenId: { type: 'string' },
    firstBrokenSeq: { type: 'string' },
    reason: { type: 'string' },
    head: {
      type: 'object',
      description: 'The newest chained row: keep it to check later with ?head=seq:hash',
      properties: { seq: { type: 'integer' }, hash: { type: 'string' } },
      required: ['seq', 'hash'],
    },
  },
  required: ['ok', 'checked'],
} as const;

export const auditMetricsSchema = {
  type: 'object',
  properties: {
    total: { type: 'integer' },
    byAction: { type: 'object', additionalProperties: { type: 'integer' } },
    writeFailures: { type: 'integer' },
  },
  required: ['total', 'byAction', 'writeFailures'],
} as const;
