/**
 * The in-memory RevocationStore: revoked token ids of one API server process, each kept until the
 * token would have expired anyway. Lookups are synchronous (they run on every request).
 * Single-threaded JavaScript needs no lock (see failure-store.ts); the map is bounded because every
 * logout adds an entry.
 */
import { AuthError } from './errors.js';
import { systemClock, type Clock, type RevocationStore } from './ports.js';

/** Revocations kept at most (each ~100 bytes): far above any honest logout rate. */
export const DEFAULT_MAX_REVOCATIONS = 1_000_000;

export interface MemoryRevocationStoreOptions {
  readonly maxEntries?: number;
  readonly clock?: Clock;
}

/**
 * Revoked `jti`s in memory.
 * @example
 * const revocations = new MemoryRevocationStore();
 * await revocations.revoke(claims.jti, claims.exp * 1000);
 * revocations.isRevoked(claims.jti); // true until exp
 */
export class MemoryRevocationStore implements RevocationStore {
  /** jti → expiry in ms (Infinity: kept for good) */
  readonly #revoked = new Map<string, number>();
  readonly #max: number;
  readonly #clock: Clock;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_REVOCATIONS;
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError('maxEntries must be a whole number >= 1');
    this.#max = max;
    this.#clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.#revoked.size;
  }

  /** Drops revocations whose tokens have expired; returns how many were dropped. */
  prune(): number {
    const now = this.#clock.now();
    let n = 0;
    for (const [jti, exp] of this.#revoked) {
      if (exp <= now) {
        this.#revoked.delete(jti);
        n++;
      }
    }
    return n;
  }

  /**
   * Records a revocation synchronously (also used by the Redis store for what it hears from other
   * replicas). A revocation is never dropped before its expiry: when the store is full of live
   * revocations it refuses new ones with ERR_AUTH_STORE instead.
   */
  add(jti: string, expiresAtMs: number | undefined): void {
    if (jti === '') throw new TypeError('cannot revoke an empty jti');
    const exp = expiresAtMs ?? Number.POSITIVE_INFINITY;
    if (exp <= this.#clock.now()) return;
    const current = this.#revoked.get(jti);
    if (current !== undefined) {
      if (exp > current) this.#revoked.set(jti, exp);
      return;
    }
    if (this.#revoked.size >= this.#max && this.prune() === 0)
      throw new AuthError(
        'ERR_AUTH_STORE',
        `failed to revoke token: ${this.#max} unexpired revocations are held already`,
      );
    this.#revoked.set(jti, exp);
  }

  revoke(jti: string, expiresAtMs: number | undefined): Promise<void> {
    try {
      this.add(jti, expiresAtMs);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  isRevoked(jti: string): boolean {
    const exp = this.#revoked.get(jti);
    if (exp === undefined) return false;
    if (exp <= this.#clock.now()) {
      this.#revoked.delete(jti);
      return false;
    }
    return true;
  }

  /** The held revocations (jti → expiry ms), for resynchronisation. */
  entries(): IterableIterator<[string, number]> {
    return this.#revoked.entries();
  }
}
