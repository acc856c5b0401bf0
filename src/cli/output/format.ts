/**
 * Machine output: `-o json` (two-space indented, like Argo CD) and `-o yaml`; and the check of an
 * `-o` value against the formats a command supports.
 */
import { stringify as stringifyYaml } from 'yaml';
import { usageError } from '../errors.js';

export type OutputFormat =
  'json' | 'yaml' | 'wide' | 'name' | 'tree' | 'table' | 'id' | 'url' | 'server' | 'short';

/** Checks `-o` against what the command supports; '' or undefined gives the first (the default). */
export function parseOutputFormat<T extends OutputFormat>(
  value: unknown,
  allowed: readonly T[],
): T {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const first = allowed[0];
  if (first === undefined) throw new TypeError('no output formats given');
  if (v === '') return first;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw usageError(`unknown output format "${v}": use one of ${allowed.join(', ')}`);
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function toYaml(value: unknown): string {
  return stringifyYaml(value, { lineWidth: 0 });
}

/** json or yaml text of a value; undefined for other formats. */
export function machineOutput(value: unknown, format: OutputFormat): string | undefined {
  if (format === 'json') return toJson(value);
  if (format === 'yaml') return toYaml(value);
  return undefined;
}
