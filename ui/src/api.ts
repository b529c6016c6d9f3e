/**
 * The console's one door to the server: the public HTTP API, same origin, authenticated by the
 * HttpOnly `token` cookie the browser holds (no token ever reaches browser storage). Errors come
 * back as ApiError carrying the API's envelope.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthorisedListeners = new Set<Listener>();

/** Called whenever the server answers 401: the session is gone, show the login page. */
export function onUnauthorised(listener: Listener): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    // With the server's default `no-referrer` a browser sends `Origin: null` on writes, which the
    // CSRF check refuses: this policy keeps our Origin on our own requests and nowhere else.
    referrerPolicy: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string; details?: unknown } })?.error;
    if (res.status === 401 && !path.startsWith('/api/auth/login')) for (const l of unauthorisedListeners) l();
    throw new ApiError(
      res.status,
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `HTTP ${res.status}`,
      error?.details,
    );
  }
  return data as T;
}

export const get = <T = unknown>(path: string) => api<T>('GET', path);
export const post = <T = unknown>(path: string, body?: unknown) => api<T>('POST', path, body);

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type Role = 'admin' | 'user' | 'viewer';

export interface User {
  id: string;
  username: string;
  email: string;
  role: Role;
  isActive: boolean;
  lastLogin: string | null;
  createdAt: string;
}

export interface Agent {
  id: string;
  agentId: string;
  name: string;
  role: string;
  description: string | null;
  modelProvider: string;
  modelKey?: string;
  modelName: string | null;
  status: 'active' | 'inactive' | 'archived';
  capabilities: string[];
  actions: string[];
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Task {
  id: string;
  taskId: string;
  agentId: string | null;
  agentUuid?: string | null;
  type: string;
  status: TaskStatus;
  priority: number;
  input: unknown;
  output: unknown;
  error: string | null;
  metadata: Record<string, unknown>;
  startedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  retryCount: number;
  maxRetries: number;
  createdBy: string | null;
  parentTaskId: string | null;
  cancelRequested: boolean;
}

export interface Execution {
  executionId: string;
  status: string;
  output: string | null;
  tokensUsed: number | null;
  executionTimeMs: number | null;
  errorMessage: string | null;
  createdAt: string;
}

export interface WorkflowStep {
  id: string;
  agentId: string;
  input?: Record<string, unknown>;
  dependsOn?: string[];
}

export interface Workflow {
  workflowId: string;
  name: string;
  description: string | null;
  definition: { steps: WorkflowStep[] };
  version: number;
  updatedAt: string;
}

export interface WorkflowRun {
  runId: string;
  workflowId: string;
  status: string;
  input: unknown;
  output: unknown;
  error: string | null;
  steps: Array<{
    stepId: string;
    status: string;
    taskId: string | null;
    output?: unknown;
    error?: string | null;
  }>;
  createdAt: string;
  completedAt: string | null;
}
