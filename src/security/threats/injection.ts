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

/*
 * Every pattern runs on client text, so each must be linear in its input: quantifiers are bounded
 * and no unbounded class can re-scan the same run from every start position (the old
 * `<[^>]*\bon…=` and `[^=]*=` took seconds on 100 000 `<` or quotes). The lint-style test in
 * test/security/patternTiming.test.ts runs each one on long runs of every character it uses.
 */
export const SQL_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['quote-or-tautology', /'\s{0,10}(or|and)\s{1,10}('|\d|true|false)[^=\n]{0,40}=/i],
  ['quote-comment', /'\s{0,10}(--|#|\/\*)/],
  ['union-select', /\bunion\b(\s{1,10}all)?\s{1,10}select\b/i],
  ['stacked-statement', /;\s{0,10}(drop|delete|insert|update|alter|truncate|create|grant|exec(ute)?)\s/i],
  ['time-delay', /\b(pg_sleep|sleep|benchmark|waitfor\s{1,10}delay)\s{0,10}\(/i],
  ['system-catalog', /\b(information_schema|pg_catalog|pg_shadow|xp_cmdshell)\b/i],
];

export const SCRIPT_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['script-tag', /<\s{0,10}script\b/i],
  ['javascript-url', /javascript\s{0,10}:/i],
  // `[^<>]` stops at the next `<`, and {0,200} bounds the tag: each `<` is looked at once.
  ['event-handler', /<[^<>]{0,200}\bon[a-z]{1,30}\s{0,10}=/i],
  ['embedded-frame', /<\s{0,10}(iframe|object|embed)\b/i],
];

/**
 * How much of one request is scanned: the first characters of each string, up to a total. A probe
 * is short, and past these caps the work would grow with the body for no more findings.
 */
export const SCAN_CHARS_PER_STRING = 20_000;
export const SCAN_CHARS_PER_REQUEST = 100_000;

/** Fields never scanned: passwords legitimately contain anything. */
const SKIP_FIELDS = /pass(word)?|secret|token|key$/i;

export function detectInjection(text: string): Array<{ kind: InjectionKind; pattern: string }> {
  const found: Array<{ kind: InjectionKind; pattern: string }> = [];
  for (const [pattern, re] of SQL_PATTERNS) if (re.test(text)) found.push({ kind: 'sql_injection', pattern });
  for (const [pattern, re] of SCRIPT_PATTERNS)
    if (re.test(text)) found.push({ kind: 'script_injection', pattern });
  return found;
}

/** Walks a parsed query or body (bounded depth, entries and characters) and reports every suspicious string. */
export function scanFields(
  value: unknown,
  path: string,
  depth = 0,
  out: InjectionFinding[] = [],
  budget = { chars: SCAN_CHARS_PER_REQUEST },
): InjectionFinding[] {
  if (depth > 6 || out.length >= 20 || budget.chars <= 0) return out;
  if (typeof value === 'string') {
    const sample = value.slice(0, Math.min(SCAN_CHARS_PER_STRING, budget.chars));
    budget.chars -= sample.length;
    for (const f of detectInjection(sample)) out.push({ kind: f.kind, field: path, pattern: f.pattern });
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.slice(0, 200).entries()) scanFields(v, `${path}.${i}`, depth + 1, out, budget);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value).slice(0, 200)) {
      if (!SKIP_FIELDS.test(k)) scanFields(v, `${path}.${k}`, depth + 1, out, budget);
    }
  }
  return out;
}
