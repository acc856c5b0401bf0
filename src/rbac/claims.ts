/**
 * What RBAC reads from verified JWT claims: the user identifier and the groups named by `scopes`.
 * Claims are untrusted shapes (`unknown`): anything that is not the expected type is ignored, never
 * coerced, so malformed claims can only lose permissions, not gain them.
 */
import { isRecord } from '../lib/index.js';

/**
 * The subject RBAC checks for a user: Dex's `federated_claims.user_id` when present and non-empty,
 * else `sub`; empty when neither is a string.
 * @example
 * userIdentifier({ sub: 'CgVhbGljZRIFbG9jYWw', federated_claims: { user_id: 'alice' } }) // 'alice'
 */
export function userIdentifier(claims: unknown): string {
  if (!isRecord(claims)) return '';
  const fed = claims.federated_claims;
  if (isRecord(fed)) {
    const id = fed.user_id;
    if (typeof id === 'string' && id !== '') return id;
  }
  const sub = claims.sub;
  return typeof sub === 'string' ? sub : '';
}

/**
 * The group values of the claims named by `scopes`: a string claim is one group, a list claim
 * contributes its string members (others are skipped). Order is kept; duplicates are removed.
 * @example
 * scopeValues({ groups: ['dev', 7, 'ops'], team: 'blue' }, ['groups', 'team']) // ['dev', 'ops', 'blue']
 */
export function scopeValues(claims: unknown, scopes: readonly string[]): string[] {
  const out: string[] = [];
  if (!isRecord(claims)) return out;
  // no closures here: this runs on every request (and tsx wraps every closure it creates)
  let seen: Set<string> | undefined;
  for (const scope of scopes) {
    if (!Object.hasOwn(claims, scope)) continue;
    const value = claims[scope];
    if (Array.isArray(value)) {
      for (const v of value as unknown[]) seen = addGroup(out, seen, v);
    } else {
      seen = addGroup(out, seen, value);
    }
  }
  return out;
}

const SMALL = 16;

/** Appends a new non-empty string; switches to a Set once the list is long (huge group claims). */
function addGroup(
  out: string[],
  seen: Set<string> | undefined,
  v: unknown,
): Set<string> | undefined {
  if (typeof v !== 'string' || v === '') return seen;
  if (seen !== undefined) {
    if (!seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
    return seen;
  }
  if (out.includes(v)) return seen;
  out.push(v);
  return out.length > SMALL ? new Set(out) : undefined;
}

/** `iat` as seconds since the epoch, when it is a finite number. */
export function issuedAt(claims: unknown): number | undefined {
  if (!isRecord(claims)) return undefined;
  const iat = claims.iat;
  return typeof iat === 'number' && Number.isFinite(iat) ? iat : undefined;
}

/** Go's `time.RFC3339` rendering of a Unix time in UTC: `2006-01-02T15:04:05Z`. */
export function formatRfc3339(seconds: number): string {
  const d = new Date(Math.trunc(seconds) * 1000);
  if (Number.isNaN(d.getTime())) return String(seconds);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
