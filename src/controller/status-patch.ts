/**
 * The JSON merge patch (RFC 7386) that turns one value into another: changed keys are set, removed
 * keys become `null`, arrays and scalars are replaced whole. `undefined` means "nothing changed",
 * so the controller writes an Application only when its status really changed. Applications have
 * no status subresource: patching only `status` (and `operation`) never touches the spec a user
 * may be editing at the same time.
 */
import { isRecord } from '../lib/index.js';

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isRecord(a) && isRecord(b) && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** The merge patch from `from` to `to`, or undefined when they are equal. */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (jsonEqual(from, to)) return undefined;
  if (!isRecord(from) || !isRecord(to) || Array.isArray(from) || Array.isArray(to))
    return to === undefined ? null : to;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(to)) {
    if (to[k] === undefined) continue;
    const p = mergePatch(from[k], to[k]);
    if (p !== undefined) out[k] = p;
  }
  for (const k of Object.keys(from))
    if (from[k] !== undefined && to[k] === undefined) out[k] = null;
  return Object.keys(out).length === 0 ? undefined : out;
}
