/**
 * Request validation. Bodies are validated strictly — no type coercion, unknown fields rejected —
 * so `{"priority": "5"}` is a 400, not a silent cast. Query strings and path parameters arrive as
 * text and are coerced (`?limit=10` → 10).
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
import formatsPlugin from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false };

// ajv-formats is CommonJS with a default export: under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((formatsPlugin as unknown as { default?: AddFormats }).default ??
  (formatsPlugin as unknown as AddFormats)) as AddFormats;
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
};

/** One readable line naming the field, e.g. `body.priority must be integer`. */
export function describeValidationError(
  errors: ErrorObject[],
  context: string,
): { message: string; field: string } {
  const first = errors[0];
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  let field = path;
  let problem = first.message ?? 'is invalid';
  if (first.keyword === 'additionalProperties') {
    const extra = String((first.params as { additionalProperty: string }).additionalProperty);
    field = path ? `${path}.${extra}` : extra;
    problem = 'is not an allowed field';
  } else if (first.keyword === 'required') {
    const missing = String((first.params as { missingProperty: string }).missingProperty);
    field = path ? `${path}.${missing}` : missing;
    problem = 'is required';
  }
  const where = context === 'querystring' ? 'query' : context;
  return { message: `${where}${field ? `.${field}` : ''} ${problem}`, field: field || where };
}
