/**
 * Pagination of list answers that follow Kubernetes' `metadata.continue` convention: fetch a page,
 * yield its items, ask again with the token until the server returns none. Servers that do not
 * paginate (Argo CD) answer everything in one page, which ends the loop at once.
 */
import { ClientError } from './errors.js';
import type { ItemList } from './types.js';

export interface PaginateOptions {
  /** stop after this many pages (a loop guard); default 10,000 */
  readonly maxPages?: number;
}

/**
 * Yields every item of a paginated list.
 * @example
 * for await (const app of paginate((cont) => client.listApplications({ continue: cont }))) ...
 */
export async function* paginate<T>(
  fetchPage: (continueToken: string | undefined) => Promise<ItemList<T>>,
  options: PaginateOptions = {},
): AsyncGenerator<T> {
  const maxPages = options.maxPages ?? 10_000;
  let token: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; page < maxPages; page++) {
    const list = await fetchPage(token);
    yield* list.items;
    const next = list.metadata?.continue;
    if (next === undefined || next === '') return;
    if (seen.has(next))
      throw new ClientError(
        'ERR_CLIENT_RESPONSE',
        'failed to read a paginated list: the server returned the same continue token twice',
      );
    seen.add(next);
    token = next;
  }
  throw new ClientError(
    'ERR_CLIENT_RESPONSE',
    `failed to read a paginated list: more than ${maxPages} pages`,
  );
}

/** Every item of a paginated list, in one array. */
export async function collectAll<T>(
  fetchPage: (continueToken: string | undefined) => Promise<ItemList<T>>,
  options: PaginateOptions = {},
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of paginate(fetchPage, options)) out.push(item);
  return out;
}
