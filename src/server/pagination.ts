/**
 * Pagination of list endpoints (beyond Argo CD, which always returns everything): `?limit=N`
 * returns at most N items (sorted by a stable key, usually the name) and, when more follow,
 * `metadata.continue`, an opaque token to pass back as `?continue=<token>` for the next page, plus
 * `metadata.remainingItemCount`. Without `limit` the whole list is returned, exactly as Argo CD
 * does, so existing clients see no difference. The token names the last key returned, so a page
 * boundary stays stable when items are added or removed meanwhile (no item is returned twice).
 *
 * @example
 * const items = store.projects().filter((p) => ctx.can('projects', 'get', p.metadata.name ?? ''));
 * return paginate(items, (p) => p.metadata.name ?? '', req.query);
 */
import { ApiError } from './errors.js';
import type { QueryParams } from './service.js';

/** Largest page served. */
export const MAX_PAGE_SIZE = 10_000;

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly metadata: ListMeta;
}

function encodeToken(lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: lastKey }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 1) {
      const k = (v as { k?: unknown }).k;
      if (typeof k === 'string') return k;
    }
  } catch {
    // fall through to the error
  }
  throw new ApiError(
    'ERR_API_INVALID_ARGUMENT',
    'failed to list: the continue token is not one this server issued; start again without it',
  );
}

/** Reads `limit` and `continue` from the query (400 for a bad limit). */
export function pageRequest(query: QueryParams): {
  limit: number | undefined;
  after: string | undefined;
} {
  const raw = query.get('limit');
  let limit: number | undefined;
  if (raw !== undefined) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE_SIZE)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to list: limit must be a whole number from 0 to ${MAX_PAGE_SIZE} (0 means no limit)`,
      );
    limit = n === 0 ? undefined : n;
  }
  const token = query.get('continue');
  return { limit, after: token === undefined ? undefined : decodeToken(token) };
}

/**
 * One page of `items` by `key` order (see the module comment). `resourceVersion` is copied into
 * the list metadata (the UI reads it to start a watch).
 */
export function paginate<T>(
  items: readonly T[],
  key: (item: T) => string,
  query: QueryParams,
  resourceVersion?: string,
): Page<T> {
  const { limit, after } = pageRequest(query);
  const metadata: ListMeta = resourceVersion !== undefined ? { resourceVersion } : {};
  if (limit === undefined && after === undefined) return { items: [...items], metadata };
  const sorted = [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  let start = 0;
  if (after !== undefined) {
    start = sorted.findIndex((i) => key(i) > after);
    if (start < 0) start = sorted.length;
  }
  const end = limit === undefined ? sorted.length : Math.min(sorted.length, start + limit);
  const page = sorted.slice(start, end);
  const last = page[page.length - 1];
  if (end < sorted.length && last !== undefined) {
    metadata.continue = encodeToken(key(last));
    metadata.remainingItemCount = sorted.length - end;
  }
  return { items: page, metadata };
}
