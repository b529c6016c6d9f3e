/** JSON schemas shared by several route groups. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
} as const;

export function pageOf(itemSchema: object) {
  return {
    type: 'object',
    properties: {
      items: { type: 'array', items: itemSchema },
      total: { type: 'integer' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
    required: ['items', 'total', 'limit', 'offset'],
  } as const;
}

/** Arbitrary JSON object (configs, metadata). */
export const jsonObject = { type: 'object', additionalProperties: true } as const;

/** Human handles in paths (`agentId`, `modelId`…): bounded, no control characters. */
export const handleParam = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9._:-]+$',
} as const;

/** Standard error responses, so the OpenAPI document shows the envelope. */
export const errorResponses = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
} as const;
