/**
 * Marks a branch the type checker proves unreachable; throws if reached at run time anyway.
 * @example
 * switch (status) { case 'Synced': ...; default: assertNever(status); }
 */
export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Narrows `unknown` to a plain (non-array, non-null) object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
