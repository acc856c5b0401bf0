/** Small readers for untyped live objects (fields may be missing or of the wrong type). */
import { isRecord } from '../../lib/index.js';

/** The value at a dotted path, or undefined. */
export function get(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** A number at a path; `dflt` when absent or not a number. */
export function num(obj: unknown, dflt: number, ...path: string[]): number {
  const v = get(obj, ...path);
  return typeof v === 'number' ? v : dflt;
}

/** A number at a path or undefined. */
export function optNum(obj: unknown, ...path: string[]): number | undefined {
  const v = get(obj, ...path);
  return typeof v === 'number' ? v : undefined;
}

/** A string at a path; '' when absent. */
export function str(obj: unknown, ...path: string[]): string {
  const v = get(obj, ...path);
  return typeof v === 'string' ? v : '';
}

/** A list of records at a path. */
export function records(obj: unknown, ...path: string[]): Record<string, unknown>[] {
  const v = get(obj, ...path);
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** A standard condition. */
export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** `status.conditions` as typed conditions. */
export function conditionsOf(obj: unknown): Condition[] {
  return records(obj, 'status', 'conditions').map((c) => ({
    type: str(c, 'type'),
    status: str(c, 'status'),
    reason: str(c, 'reason'),
    message: str(c, 'message'),
  }));
}

/** `metadata.generation` (0 when absent). */
export function generationOf(obj: unknown): number {
  return num(obj, 0, 'metadata', 'generation');
}
