/**
 * Runtime validation of untrusted input. Input is `unknown` until one of these narrows it; errors
 * name the field (`spec.destination.server: must be string`) so the caller can fix it.
 */
import { Compile, type Validator } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';
import { CodedError } from '../lib/index.js';

export type ValidationErrorCode = 'ERR_INVALID_OBJECT';

export interface FieldError {
  /** dotted path, e.g. `spec.sources[0].repoURL`; empty for the root */
  readonly field: string;
  readonly message: string;
}

/** Thrown when untrusted input does not match a schema. `fields` lists every problem found. */
export class ValidationError extends CodedError<ValidationErrorCode> {
  readonly code = 'ERR_INVALID_OBJECT';
  readonly fields: readonly FieldError[];

  constructor(what: string, fields: readonly FieldError[]) {
    const shown = fields
      .slice(0, 5)
      .map((f) => (f.field ? `${f.field}: ${f.message}` : f.message))
      .join('; ');
    const more = fields.length > 5 ? ` (and ${fields.length - 5} more)` : '';
    super(`invalid ${what}: ${shown}${more}`);
    this.fields = fields;
  }
}

/** Converts a JSON pointer (`/spec/sources/0/repoURL`) into a dotted path (`spec.sources[0].repoURL`). */
export function pointerToPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
      '',
    );
}

const compiled = new WeakMap<TSchema, Validator>();

function validatorFor(schema: TSchema): Validator {
  let v = compiled.get(schema);
  if (!v) {
    v = Compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** Lists the problems of `value` against `schema` (empty when valid). */
export function checkSchema(schema: TSchema, value: unknown): FieldError[] {
  const v = validatorFor(schema);
  if (v.Check(value)) return [];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of v.Errors(value)) {
    let field = pointerToPath(e.instancePath);
    let message = e.message;
    if (e.keyword === 'required') {
      const params = e.params as { requiredProperties?: string[] };
      const missing = params.requiredProperties ?? [];
      for (const name of missing) {
        const f = field ? `${field}.${name}` : name;
        const key = `${f}\u0000required`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ field: f, message: 'is required' });
        }
      }
      continue;
    }
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') message = 'has the wrong type';
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (field === '' && message.startsWith('must have required')) field = '';
    out.push({ field, message });
  }
  return out;
}

/**
 * Narrows `value` to the schema's type or throws a ValidationError naming every bad field.
 * @example
 * const app = validate(ApplicationSchema, JSON.parse(body), 'Application');
 */
export function validate<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  const problems = checkSchema(schema, value);
  if (problems.length > 0) throw new ValidationError(what, problems);
  return value as Static<S>;
}

/** Like `validate` but returns a result instead of throwing. */
export function tryValidate<S extends TSchema>(
  schema: S,
  value: unknown,
): { ok: true; value: Static<S> } | { ok: false; errors: FieldError[] } {
  const errors = checkSchema(schema, value);
  return errors.length === 0 ? { ok: true, value: value as Static<S> } : { ok: false, errors };
}
