/**
 * SQL and script injection patterns in request fields. These flag, they do not block: queries are
 * parameterised and output is JSON, so a match is a probe to record, not a hole. The patterns
 * target attack syntax (`' OR 1=1`, `UNION SELECT`, `<script`), not words, so ordinary prose
 * ("select the best option", "drop me a line") passes.
 */
export type InjectionKind = 'sql_injection' | 'script_injection';

export interface InjectionFinding {
  kind: InjectionKind;
  /** Dotted path of the field, e.g. `query.status` or `body.config.name`. */
  field: string;
  pattern: string;
}

const SQL_PATTERNS: Array<[string, RegExp]> = [
  ['quote-or-tautology', /'\s*(or|and)\s+('|\d|true|false)[^=]*=/i],
  ['quote-comment', /'\s*(--|#|\/\*)/],
  ['union-select', /\bunion\b(\s+all)?\s+select\b/i],
  ['stacked-statement', /;\s*(drop|delete|insert|update|alter|truncate|create|grant|exec(ute)?)\s/i],
  ['time-delay', /\b(pg_sleep|sleep|benchmark|waitfor\s+delay)\s*\(/i],
  ['system-catalog', /\b(information_schema|pg_catalog|pg_shadow|xp_cmdshell)\b/i],
];

const SCRIPT_PATTERNS: Array<[string, RegExp]> = [
  ['script-tag', /<\s*script\b/i],
  ['javascript-url', /javascript\s*:/i],
  ['event-handler', /<[^>]*\bon[a-z]+\s*=/i],
  ['embedded-frame', /<\s*(iframe|object|embed)\b/i],
];

/** Fields never scanned: passwords legitimately contain anything. */
const SKIP_FIELDS = /pass(word)?|secret|token|key$/i;

export function detectInjection(text: string): Array<{ kind: InjectionKind; pattern: string }> {
  const found: Array<{ kind: InjectionKind; pattern: string }> = [];
  for (const [pattern, re] of SQL_PATTERNS) if (re.test(text)) found.push({ kind: 'sql_injection', pattern });
  for (const [pattern, re] of SCRIPT_PATTERNS)
    if (re.test(text)) found.push({ kind: 'script_injection', pattern });
  return found;
}

/** Walks a parsed query or body (bounded depth and size) and reports every suspicious string. */
export function scanFields(
  value: unknown,
  path: string,
  depth = 0,
  out: InjectionFinding[] = [],
): InjectionFinding[] {
  if (depth > 6 || out.length >= 20) return out;
  if (typeof value === 'string') {
    if (value.length <= 100_000)
      for (const f of detectInjection(value)) out.push({ kind: f.kind, field: path, pattern: f.pattern });
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.slice(0, 200).entries()) scanFields(v, `${path}.${i}`, depth + 1, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value).slice(0, 200)) {
      if (!SKIP_FIELDS.test(k)) scanFields(v, `${path}.${k}`, depth + 1, out);
    }
  }
  return out;
}
