/**
 * The in-memory cache of generated manifests (and other per-commit answers): least recently used
 * entries are dropped once the total size passes `maxBytes`, and entries expire after `ttlMs`
 * (`--repo-cache-expiration`). Keys are built by `manifestCacheKey` from everything that changes
 * the output: the normalised repository URL, the resolved commit, the path, the source options,
 * the relevant settings and the tool with its version, so an unchanged commit is never rendered
 * twice and a changed input never reads a stale entry. A Redis-backed cache can implement the same
 * `ManifestCacheStore` interface later.
 */
import { createHash } from 'node:crypto';

export interface ManifestCacheStore<V> {
  get(key: string): V | undefined;
  set(key: string, value: V, bytes: number): void;
  delete(key: string): void;
  readonly size: number;
  readonly bytes: number;
}

export interface LruOptions {
  readonly maxBytes: number;
  readonly ttlMs: number;
  /** clock in ms (tests) */
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
  readonly expires: number;
}

/** A byte-bounded LRU map with expiry (see the module comment). */
export class LruCache<V> implements ManifestCacheStore<V> {
  readonly #map = new Map<string, Entry<V>>();
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(o: LruOptions) {
    if (o.maxBytes < 0 || o.ttlMs < 0) throw new TypeError('maxBytes and ttlMs must be >= 0');
    this.#maxBytes = o.maxBytes;
    this.#ttlMs = o.ttlMs;
    this.#now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    if (e.expires <= this.#now()) {
      this.delete(key);
      return undefined;
    }
    // move to the most recently used end
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.#maxBytes || this.#ttlMs === 0) return;
    this.#map.set(key, { value, bytes, expires: this.#now() + this.#ttlMs });
    this.#bytes += bytes;
    for (const [k, e] of this.#map) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  delete(key: string): void {
    const e = this.#map.get(key);
    if (!e) return;
    this.#map.delete(key);
    this.#bytes -= e.bytes;
  }
}

/** A stable key: SHA-256 over the canonical JSON of the parts (object keys sorted). */
export function manifestCacheKey(kind: string, parts: Readonly<Record<string, unknown>>): string {
  return `${kind}:${createHash('sha256').update(canonicalJson(parts)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}
