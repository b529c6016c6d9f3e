/**
 * Step input templates. A string may contain `{{input.<path>}}` (the run's input) and
 * `{{steps.<stepId>.output.<path>}}` (an earlier step's task output). A string that is exactly one
 * placeholder takes the value itself (an object stays an object); placeholders inside longer text
 * are replaced by the value as text (objects as JSON). Objects and arrays are rendered deeply.
 */

// One class between the braces and no `\s*` beside a lazy group: linear on any text (a run of
// spaces with no closing braces used to backtrack quadratically). Callers trim the expression.
const PLACEHOLDER_RE = /\{\{([^{}]*)\}\}/g;
const WHOLE_RE = /^\{\{([^{}]*)\}\}$/;
const SEGMENT_RE = /^[A-Za-z0-9_-]+$/;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A parsed placeholder: `input.a.b` → {root:'input', path:['a','b']}; steps carry their id. */
export type TemplateRef =
  | { root: 'input'; path: string[] }
  | { root: 'steps'; stepId: string; path: string[] };

export interface TemplateScope {
  input: Record<string, unknown>;
  /** Step id → that step's task output (only steps that completed). */
  steps: Record<string, unknown>;
}

export function parseRef(expression: string): TemplateRef {
  const parts = expression.split('.');
  if (parts.some((p) => !SEGMENT_RE.test(p))) {
    throw new TemplateError(`Malformed template reference "{{${expression}}}"`);
  }
  if (parts[0] === 'input' && parts.length >= 2) return { root: 'input', path: parts.slice(1) };
  if (parts[0] === 'steps' && parts.length >= 3 && parts[2] === 'output') {
    return { root: 'steps', stepId: parts[1], path: parts.slice(3) };
  }
  throw new TemplateError(
    `Template reference "{{${expression}}}" must be {{input.<name>}} or {{steps.<stepId>.output…}}`,
  );
}

/** Every placeholder of a template, in order (throws on a malformed one). */
export function templateRefs(template: unknown): TemplateRef[] {
  const refs: TemplateRef[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(PLACEHOLDER_RE)) refs.push(parseRef(match[1].trim()));
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(template);
  return refs;
}

function lookup(scope: TemplateScope, ref: TemplateRef, expression: string): unknown {
  let value: unknown;
  if (ref.root === 'input') value = scope.input;
  else {
    if (!Object.hasOwn(scope.steps, ref.stepId)) {
      throw new TemplateError(`{{${expression}}}: step ${ref.stepId} has no output`);
    }
    value = scope.steps[ref.stepId];
  }
  for (const key of ref.path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) {
      throw new TemplateError(`{{${expression}}}: no value at "${key}"`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  if (value === undefined) throw new TemplateError(`{{${expression}}}: no value`);
  return value;
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function render(template: unknown, scope: TemplateScope): unknown {
  if (typeof template === 'string') {
    const whole = template.match(WHOLE_RE);
    if (whole) {
      const expression = whole[1].trim();
      return lookup(scope, parseRef(expression), expression);
    }
    return template.replace(PLACEHOLDER_RE, (_, raw: string) => {
      const expression = raw.trim();
      return asText(lookup(scope, parseRef(expression), expression));
    });
  }
  if (Array.isArray(template)) return template.map((v) => render(v, scope));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, render(v, scope)]));
  }
  return template;
}
