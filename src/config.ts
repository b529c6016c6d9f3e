/**
 * The one place that reads the environment (SPEC §2). Everything else receives a typed `Config`.
 * A bad value throws a ConfigError whose message is one line naming the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  nodeEnv: string;
  production: boolean;
  host: string;
  port: number;
  /** PostgreSQL connection string; undefined → embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  dbMaxConnections: number;
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel this deployment owns. */
  redisPrefix: string;
  dataDir: string;
  /** Explicit secrets; undefined means "generate and keep in dataDir" (embedded mode only). */
  jwtSecret: string | undefined;
  encryptionKey: string | undefined;
  /** Older keys still accepted for decryption, as `id:hex`. */
  encryptionKeys: string[];
  /** HMAC key of the audit chain (SPEC §10); undefined: derived from the encryption key. */
  auditKey: string | undefined;
  accessTokenTtlSeconds: number;
  admin: { username: string; password: string | undefined; email: string };
  allowSignup: boolean;
  /** Requests per minute per client IP and per user (0: off); login attempts per minute per IP. */
  rateLimit: { perMinute: number; loginPerMinute: number };
  maxConcurrentTasks: number;
  pollIntervalMs: number;
  worker: boolean;
  pluginsDir: string;
  plugins: string[];
  openaiBaseUrl: string | undefined;
  openaiApiKey: string | undefined;
  vaultAddr: string | undefined;
  vaultToken: string | undefined;
  metricsToken: string | undefined;
  /** OpenTelemetry traces over OTLP/HTTP; tracing is off (no SDK loaded) without an endpoint. */
  otel: { endpoint: string | undefined; serviceName: string };
  /** For the CLI: talk to this server instead of the database (`--url` overrides). */
  cliUrl: string | undefined;
  /** For the CLI: access token or API key sent to `cliUrl` (`--token` overrides). */
  cliToken: string | undefined;
  /** For the CLI: where `bsm login` keeps sessions (`$XDG_CONFIG_HOME/bsm/credentials.json`). */
  cliCredentialsFile: string;
  corsOrigins: string[];
  /**
   * Which hops may set `X-Forwarded-*`: none (false), the nearest N hops, or the proxies at these
   * addresses / CIDRs. Never "every hop": that would let a client forge its own address.
   */
  trustProxy: TrustProxy;
  /** Default and longest lifetime of an API key in days; 0: keys may live forever. */
  apiKeyTtlDays: number;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  /** Open SSE streams allowed per user on one node (429 beyond). */
  maxStreamsPerUser: number;
  /** How long events are kept for resuming streams with Last-Event-ID. */
  eventRetentionSeconds: number;
  /** Threads idle longer than this many days are deleted; 0 keeps them. */
  threadTtlDays: number;
}

export type TrustProxy = false | number | string[];

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${env[name]}"`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Names @fastify/proxy-addr understands for whole private ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function proxyAddressValid(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (isIP(bits) === family) return true; // a netmask, e.g. 10.0.0.0/255.0.0.0
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** BSM_TRUST_PROXY: `false`/`0`, a hop count, `true` (one hop), or a comma list of addresses/CIDRs. */
function trustProxy(env: Env): TrustProxy {
  const raw = env.BSM_TRUST_PROXY?.trim().toLowerCase();
  if (!raw || ['false', 'no', 'off', '0'].includes(raw)) return false;
  if (['true', 'yes', 'on'].includes(raw)) return 1;
  if (/^\d+$/.test(raw)) return int(env, 'BSM_TRUST_PROXY', 0, 0, 100);
  const entries = list(env, 'BSM_TRUST_PROXY');
  const bad = entries.find((entry) => !proxyAddressValid(entry));
  if (bad !== undefined || !entries.length) {
    throw new ConfigError(
      'BSM_TRUST_PROXY',
      `expected false, a hop count, or a comma list of proxy addresses/CIDRs, got "${bad ?? raw}"`,
    );
  }
  return entries;
}

/** The seed's DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD, turned into a connection string. */
function databaseUrlFromParts(env: Env): string | undefined {
  if (!env.DB_HOST && !env.DB_NAME) return undefined;
  const port = int(env, 'DB_PORT', 5432, 1, 65535);
  const u = new URL('postgres://localhost');
  u.hostname = env.DB_HOST || 'localhost';
  u.port = String(port);
  u.pathname = `/${env.DB_NAME || 'bsm'}`;
  u.username = env.DB_USER || 'bsm_user';
  if (env.DB_PASSWORD) u.password = env.DB_PASSWORD;
  return u.toString();
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development';
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const redisPrefix = env.BSM_REDIS_PREFIX ?? 'bsm:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError(
      'BSM_REDIS_PREFIX',
      'must be 1-64 characters of letters, digits, ":", "_", "." or "-"',
    );
  }
  const encryptionKey = env.ENCRYPTION_KEY?.trim() || undefined;
  if (encryptionKey !== undefined && !/^[0-9a-fA-F]{64}$/.test(encryptionKey)) {
    throw new ConfigError('ENCRYPTION_KEY', 'must be 64 hex characters (32 bytes)');
  }
  const encryptionKeys = list(env, 'ENCRYPTION_KEYS');
  for (const entry of encryptionKeys) {
    if (!/^[A-Za-z0-9_-]{1,32}:[0-9a-fA-F]{64}$/.test(entry)) {
      throw new ConfigError('ENCRYPTION_KEYS', 'each entry must be id:<64 hex characters>');
    }
  }
  const auditKey = env.BSM_AUDIT_KEY || undefined;
  if (auditKey !== undefined && Buffer.byteLength(auditKey) < 32) {
    throw new ConfigError('BSM_AUDIT_KEY', 'must be at least 32 bytes');
  }
  return {
    nodeEnv,
    production: nodeEnv === 'production',
    host: env.HOST?.trim() || '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']) ?? databaseUrlFromParts(env),
    dbMaxConnections: int(env, 'DB_MAX_CONNECTIONS', 20, 1, 1000),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix,
    dataDir: path.resolve(env.BSM_DATA_DIR?.trim() || './.bsm'),
    jwtSecret: env.JWT_SECRET || undefined,
    encryptionKey,
    encryptionKeys,
    auditKey,
    accessTokenTtlSeconds: int(env, 'BSM_ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86400),
    admin: {
      username: env.BSM_ADMIN_USERNAME?.trim() || 'admin',
      password: env.BSM_ADMIN_PASSWORD || undefined,
      email: env.BSM_ADMIN_EMAIL?.trim() || 'admin@localhost',
    },
    allowSignup: bool(env, 'BSM_ALLOW_SIGNUP', false),
    rateLimit: {
      perMinute: int(env, 'BSM_RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
      loginPerMinute: int(env, 'BSM_LOGIN_RATE_LIMIT_PER_MINUTE', 10, 0, 1_000_000),
    },
    maxConcurrentTasks: int(env, 'BSM_MAX_CONCURRENT_TASKS', 10, 1, 10000),
    pollIntervalMs: int(env, 'BSM_POLL_INTERVAL_MS', 1000, 10, 600000),
    worker: bool(env, 'BSM_WORKER', true),
    pluginsDir: path.resolve(env.BSM_PLUGINS_DIR?.trim() || './plugins'),
    plugins: list(env, 'BSM_PLUGINS'),
    openaiBaseUrl: url(env, 'OPENAI_BASE_URL', ['http:', 'https:']),
    openaiApiKey: env.OPENAI_API_KEY || undefined,
    vaultAddr: url(env, 'VAULT_ADDR', ['http:', 'https:']),
    vaultToken: env.VAULT_TOKEN || undefined,
    metricsToken: env.METRICS_TOKEN || undefined,
    otel: {
      endpoint: url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
      serviceName: env.OTEL_SERVICE_NAME?.trim() || 'bsm-agentos',
    },
    cliUrl: url(env, 'BSM_URL', ['http:', 'https:']),
    cliToken: env.BSM_TOKEN || undefined,
    cliCredentialsFile: path.join(
      env.XDG_CONFIG_HOME?.trim() || path.join(env.HOME?.trim() || homedir(), '.config'),
      'bsm',
      'credentials.json',
    ),
    corsOrigins: list(env, 'BSM_CORS_ORIGINS'),
    trustProxy: trustProxy(env),
    apiKeyTtlDays: int(env, 'BSM_API_KEY_TTL_DAYS', 90, 0, 3650),
    bodyLimitBytes: int(env, 'BSM_BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    logLevel,
    maxStreamsPerUser: int(env, 'BSM_MAX_STREAMS_PER_USER', 10, 1, 10_000),
    eventRetentionSeconds: int(env, 'BSM_EVENT_RETENTION_SECONDS', 3600, 60, 7 * 86400),
    threadTtlDays: int(env, 'BSM_THREAD_TTL_DAYS', 0, 0, 36500),
  };
}

/**
 * Reads `.env` from the working directory into a copy of the environment. Real environment
 * variables win over the file, as everywhere else.
 */
export function environmentWithDotenv(env: Env = process.env, cwd = process.cwd()): Env {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return { ...env };
  const fromFile = parseDotenv(readFileSync(file));
  return { ...fromFile, ...env };
}
