import { USER_ROLES } from '../../domain.js';
import { THREAT_TYPES } from '../../repositories/securityThreats.js';
import { PASSWORD_MAX_LENGTH } from '../../security/passwords.js';
import { USERNAME_PATTERN } from '../../security/userAccounts.js';

const username = { type: 'string', pattern: USERNAME_PATTERN } as const;
const email = { type: 'string', format: 'email', maxLength: 255 } as const;
/** Length only: the policy (min length, not the username, not common) answers 400 WEAK_PASSWORD. */
const password = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH * 4 } as const;
const role = { type: 'string', enum: USER_ROLES } as const;

export const userSchema = {
  $id: 'User',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    username: { type: 'string' },
    email: { type: 'string' },
    role,
    isActive: { type: 'boolean' },
    budgetUsdPerDay: { type: ['number', 'null'], description: 'USD per UTC day; null: no limit' },
    lastLogin: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const apiKeySchema = {
  $id: 'ApiKey',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    role,
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const threatSchema = {
  $id: 'SecurityThreat',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string', enum: THREAT_TYPES },
    severity: { type: 'string' },
    ipAddress: { type: ['string', 'null'] },
    userId: { type: ['string', 'null'] },
    username: { type: ['string', 'null'] },
    details: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** The console asks for its session as the HttpOnly `token` cookie (SPEC §13). */
const sessionCookie = {
  type: 'boolean',
  description: 'Also set the access token as the HttpOnly `token` cookie (what the web console uses)',
} as const;

export const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 255 }, password, cookie: sessionCookie },
} as const;

export const tokenPairSchema = {
  type: 'object',
  properties: {
    token: { type: 'string' },
    refreshToken: { type: 'string' },
    expiresIn: { type: 'integer' },
    user: { $ref: 'User#' },
  },
} as const;

export const refreshBody = {
  type: 'object',
  additionalProperties: false,
  required: ['refreshToken'],
  properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 200 }, cookie: sessionCookie },
} as const;

export const registerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'email', 'password'],
  properties: { username, email, password },
} as const;

export const userCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'email', 'password'],
  properties: { username, email, password, role },
} as const;

export const userPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    email,
    role,
    isActive: { type: 'boolean' },
    password,
    keepApiKeys: { type: 'boolean' },
    budgetUsdPerDay: { type: ['number', 'null'], minimum: 0, maximum: 1_000_000_000 },
  },
} as const;

export const apiKeyCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    role,
    expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
  },
} as const;
