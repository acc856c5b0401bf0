/**
 * The in-memory FailureStore: login failure counters of one API server process.
 *
 * Argo CD keeps the same counters in a Go map behind a mutex; without it, concurrent logins
 * crashed the server with a concurrent map write (CVE-2024-21652) and a restart wiped the
 * counters (CVE-2024-21661). JavaScript runs this code on one thread and every method below does
 * its whole read-modify-write without an `await`, so no interleaving can corrupt or race the map
 * and no lock is needed. The map is still bounded: an attacker can mint a fresh key per request
 * (usernames, addresses). When it is full, expired entries are pruned, then a random entry is
 * evicted that is neither the one being counted nor a protected user's username counter
 * (CVE-2024-21662: flooding the cache used to evict the admin's counter and reset its lockout).
 */
import {
  cryptoRandom,
  systemClock,
  type Admission,
  type Clock,
  type FailureLimits,
  type FailureStore,
  type LoginSubject,
  type Random,
} from './ports.js';
import { ADMIN_USERNAME } from './accounts.js';

/** Argo CD's `ARGOCD_SESSION_MAX_CACHE_SIZE` default. */
export const DEFAULT_FAILURE_CACHE_SIZE = 10_000;

export interface MemoryFailureStoreOptions {
  /** most entries kept (each login subject uses two: its pair and its username); >= 3 */
  readonly maxEntries?: number;
  /** usernames whose username counter is never evicted; default `['admin']` */
  readonly protectedUsernames?: readonly string[];
  readonly clock?: Clock;
  readonly random?: Random;
}

interface Entry {
  readonly key: string;
  readonly username: string;
  readonly kind: 'pair' | 'username';
  count: number;
  lastMs: number;
  /** position in #keys, for O(1) random choice and removal */
  slot: number;
}

/** Keys of a subject's two counters (NUL cannot occur in either part as the server passes them). */
export function failureKeys(subject: LoginSubject): { pair: string; username: string } {
  return {
    pair: `p\u0000${subject.username}\u0000${subject.clientAddress}`,
    username: `u\u0000${subject.username}`,
  };
}

/**
 * Login failure counters in this process's memory.
 * @example
 * const failures = new MemoryFailureStore({ maxEntries: options.maxCacheSize });
 */
export class MemoryFailureStore implements FailureStore {
  readonly #entries = new Map<string, Entry>();
  readonly #keys: Entry[] = [];
  readonly #max: number;
  readonly #protected: ReadonlySet<string>;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(options: MemoryFailureStoreOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_FAILURE_CACHE_SIZE;
    if (!Number.isInteger(max) || max < 3)
      throw new TypeError('maxEntries must be a whole number >= 3');
    this.#max = max;
    this.#protected = new Set(options.protectedUsernames ?? [ADMIN_USERNAME]);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? cryptoRandom;
  }

  /** Number of entries held (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #expired(e: Entry, now: number, windowMs: number): boolean {
    return windowMs > 0 && now - e.lastMs >= windowMs;
  }

  #remove(e: Entry): void {
    this.#entries.delete(e.key);
    const last = this.#keys.pop();
    if (last && last !== e) {
      this.#keys[e.slot] = last;
      last.slot = e.slot;
    }
  }

  #live(key: string, now: number, windowMs: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && this.#expired(e, now, windowMs)) {
      this.#remove(e);
      return undefined;
    }
    return e;
  }

  #randomIndex(n: number): number {
    const b = this.#random.bytes(4);
    const u32 =
      (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
    return u32 % n;
  }

  /** Frees one slot: prune expired, then evict a random eligible entry (never one in `keep`). */
  #makeRoom(now: number, windowMs: number, keep: ReadonlySet<string>): void {
    if (this.#entries.size < this.#max) return;
    if (windowMs > 0) {
      for (let i = this.#keys.length - 1; i >= 0; i--) {
        const e = this.#keys[i];
        if (e && this.#expired(e, now, windowMs)) this.#remove(e);
      }
      if (this.#entries.size < this.#max) return;
    }
    // First choice: an entry of an unprotected user. Second: a protected user's pair counter.
    // Never: a protected user's username counter, or the entries being counted now.
    const tiers: ((e: Entry) => boolean)[] = [
      (e) => !this.#protected.has(e.username),
      (e) => e.kind === 'pair',
    ];
    for (const eligible of tiers) {
      const ok = (e: Entry): boolean => !keep.has(e.key) && eligible(e);
      for (let tries = 0; tries < 32; tries++) {
        const e = this.#keys[this.#randomIndex(this.#keys.length)];
        if (e && ok(e)) {
          this.#remove(e);
          return;
        }
      }
      const start = this.#randomIndex(this.#keys.length);
      for (let i = 0; i < this.#keys.length; i++) {
        const e = this.#keys[(start + i) % this.#keys.length];
        if (e && ok(e)) {
          this.#remove(e);
          return;
        }
      }
    }
    // Only protected username counters and current entries are left: keep them all (the map
    // exceeds its bound by at most the number of protected usernames plus two).
  }

  #count(
    key: string,
    subject: LoginSubject,
    kind: Entry['kind'],
    now: number,
    limits: FailureLimits,
    keep: ReadonlySet<string>,
  ): number {
    const e = this.#live(key, now, limits.windowMs);
    if (e) {
      e.count += 1;
      e.lastMs = now;
      return e.count;
    }
    this.#makeRoom(now, limits.windowMs, keep);
    const created: Entry = {
      key,
      username: subject.username,
      kind,
      count: 1,
      lastMs: now,
      slot: this.#keys.length,
    };
    this.#entries.set(key, created);
    this.#keys.push(created);
    return 1;
  }

  /** Counts the attempt unless the pair or the username is locked; one synchronous step. */
  admit(subject: LoginSubject, limits: FailureLimits): Promise<Admission> {
    const now = this.#clock.now();
    const keys = failureKeys(subject);
    const pair = this.#live(keys.pair, now, limits.windowMs)?.count ?? 0;
    const user = this.#live(keys.username, now, limits.windowMs)?.count ?? 0;
    if (pair >= limits.pairLimit || user >= limits.usernameLimit)
      return Promise.resolve({ admitted: false, pairCount: pair, usernameCount: user });
    const keep = new Set([keys.pair, keys.username]);
    const pairCount = this.#count(keys.pair, subject, 'pair', now, limits, keep);
    const usernameCount = this.#count(keys.username, subject, 'username', now, limits, keep);
    return Promise.resolve({ admitted: true, pairCount, usernameCount });
  }

  reset(subject: LoginSubject): Promise<void> {
    const keys = failureKeys(subject);
    for (const key of [keys.pair, keys.username]) {
      const e = this.#entries.get(key);
      if (e) this.#remove(e);
    }
    return Promise.resolve();
  }

  /** Current counters of a subject (0 when absent or expired), without counting. */
  peek(subject: LoginSubject, windowMs: number): { pairCount: number; usernameCount: number } {
    const now = this.#clock.now();
    const keys = failureKeys(subject);
    return {
      pairCount: this.#live(keys.pair, now, windowMs)?.count ?? 0,
      usernameCount: this.#live(keys.username, now, windowMs)?.count ?? 0,
    };
  }
}
