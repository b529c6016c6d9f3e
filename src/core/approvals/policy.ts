/**
 * An agent's `config.approval` (SPEC §11): which of its actions wait for a person before they
 * run, how long the request stays open, and what happens when nobody decides in time.
 */
import { validation } from '../../errors.js';

export type OnTimeout = 'reject' | 'approve';

export interface ApprovalPolicy {
  actions: ReadonlySet<string>;
  timeoutSeconds: number;
  onTimeout: OnTimeout;
}

export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 86_400;
/** 30 days. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 2_592_000;

/** The policy of a stored agent config (checked at save time), or undefined when it has none. */
export function approvalPolicy(config: Record<string, unknown>): ApprovalPolicy | undefined {
  const raw = config.approval as
    | { actions?: unknown; timeoutSeconds?: unknown; onTimeout?: unknown }
    | undefined;
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.actions) || raw.actions.length === 0)
    return undefined;
  return {
    actions: new Set(raw.actions.filter((a): a is string => typeof a === 'string')),
    timeoutSeconds:
      typeof raw.timeoutSeconds === 'number' ? raw.timeoutSeconds : DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    onTimeout: raw.onTimeout === 'approve' ? 'approve' : 'reject',
  };
}

/** 400 naming the problem when `config.approval` is malformed or asks for actions the agent lacks. */
export function checkApprovalConfig(
  config: Record<string, unknown> | undefined,
  actions: readonly string[],
): void {
  const raw = config?.approval;
  if (raw === undefined) return;
  const field = 'config.approval';
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw validation(`${field} must be an object`, { field });
  const { actions: listed, timeoutSeconds, onTimeout, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw validation(`${field} has an unexpected property "${unknown[0]}"`, { field });
  if (!Array.isArray(listed) || listed.some((a) => typeof a !== 'string')) {
    throw validation(`${field}.actions must be a list of action names`, { field: `${field}.actions` });
  }
  const missing = listed.filter((a) => !actions.includes(a as string));
  if (missing.length) {
    throw validation(
      `${field}.actions must be among the agent's actions; not allowed: ${missing.join(', ')}`,
      {
        field: `${field}.actions`,
        actions: missing,
      },
    );
  }
  checkTimeout(timeoutSeconds, `${field}.timeoutSeconds`);
  checkOnTimeout(onTimeout, `${field}.onTimeout`);
}

export function checkTimeout(value: unknown, field: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_APPROVAL_TIMEOUT_SECONDS) {
    throw validation(`${field} must be a whole number of seconds from 1 to ${MAX_APPROVAL_TIMEOUT_SECONDS}`, {
      field,
    });
  }
}

export function checkOnTimeout(value: unknown, field: string): void {
  if (value !== undefined && value !== 'reject' && value !== 'approve') {
    throw validation(`${field} must be "reject" or "approve"`, { field });
  }
}
