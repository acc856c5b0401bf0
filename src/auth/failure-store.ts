/**
 * The in-memory FailureStore: login failure counters of one API server process.
 *
 * Argo CD keeps the same counters in a Go map behind a mutex; without it, concurrent logins
 * crashed the server with a concurrent map write (CVE-2024-21652) and a restart wiped the
 * counters (CVE-2024-21661). JavaScript runs this code on one thread and every method below does
 * its whole read-modify-write without an `await`, so no interleaving can corrupt or race the map
 * and no lock is needed. The map is still bounded: an attacker can mint a fresh key per request
 * (usernames, addresses). When it is full, lapsed entries are pruned, then a random entry is
 * evicted that has no attempt in flight, is not being counted now, and is not a protected user's
 * username counter (CVE-2024-21662: flooding the cache used to evict the admin's counter and so
 * reset its lockout).
 */
import {
  cryptoRandom,
  systemClock,
  type Admission,
  type Clock,
  type FailureCounts,
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
  failures: number;
  /** when the last failure was counted (ms) */
  lastMs: number;
  /** admitted attempts not settled yet */
  pending: number;
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

  #lapsed(e: Entry, now: number, windowMs: number): boolean {
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

  /** The entry of `key` with lapsed failures cleared (and dropped if nothing is left of it). */
  #live(key: string, now: number, windowMs: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && e.failures > 0 && this.#lapsed(e, now, windowMs)) e.failures = 0;
    if (e && e.failures === 0 && e.pending === 0) {
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

  /**
   * Frees one slot: prune lapsed entries, then evict a random eligible one. Never evicted: entries
   * with attempts in flight or being counted now (`keep`), and protected users' username counters.
   */
  #makeRoom(now: number, windowMs: number, keep: ReadonlySet<string>): void {
    if (this.#entries.size < this.#max) return;
    if (windowMs > 0) {
      for (let i = this.#keys.length - 1; i >= 0; i--) {
        const e = this.#keys[i];
        if (e && e.pending === 0 && this.#lapsed(e, now, windowMs)) this.#remove(e);
      }
      if (this.#entries.size < this.#max) return;
    }
    // First choice: an entry of an unprotected user. Second: a protected user's pair counter.
    const tiers: ((e: Entry) => boolean)[] = [
      (e) => !this.#protected.has(e.username),
      (e) => e.kind === 'pair',
    ];
    for (const eligible of tiers) {
      const ok = (e: Entry): boolean => e.pending === 0 && !keep.has(e.key) && eligible(e);
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
    // Only protected username counters and busy entries are left: keep them all (the map then
    // exceeds its bound by at most the protected usernames plus the attempts in flight).
  }

  #entry(
    key: string,
    username: string,
    kind: Entry['kind'],
    now: number,
    windowMs: number,
    keep: ReadonlySet<string>,
  ): Entry {
    const existing = this.#live(key, now, windowMs);
    if (existing) return existing;
    this.#makeRoom(now, windowMs, keep);
    const created: Entry = {
      key,
      username,
      kind,
      failures: 0,
      lastMs: now,
      pending: 0,
      slot: this.#keys.length,
    };
    this.#entries.set(key, created);
    this.#keys.push(created);
    return created;
  }

  /** Admits, refuses or defers an attempt; one synchronous step (no await inside). */
  admit(subject: LoginSubject, limits: FailureLimits): Promise<Admission> {
    const now = this.#clock.now();
    const keys = failureKeys(subject);
    const pair = this.#live(keys.pair, now, limits.windowMs);
    const user = this.#live(keys.username, now, limits.windowMs);
    const pairFailures = pair?.failures ?? 0;
    const usernameFailures = user?.failures ?? 0;
    const counts = { pairFailures, usernameFailures };
    if (pairFailures >= limits.pairLimit || usernameFailures >= limits.usernameLimit)
      return Promise.resolve({ state: 'locked', ...counts });
    if (
      pairFailures + (pair?.pending ?? 0) >= limits.pairLimit ||
      usernameFailures + (user?.pending ?? 0) >= limits.usernameLimit
    )
      return Promise.resolve({ state: 'saturated', ...counts });
    const keep = new Set([keys.pair, keys.username]);
    this.#entry(keys.pair, subject.username, 'pair', now, limits.windowMs, keep).pending += 1;
    this.#entry(keys.username, subject.username, 'username', now, limits.windowMs, keep).pending +=
      1;
    return Promise.resolve({ state: 'admitted', ...counts });
  }

  settle(subject: LoginSubject, success: boolean, limits: FailureLimits): Promise<FailureCounts> {
    const now = this.#clock.now();
    const keys = failureKeys(subject);
    const keep = new Set([keys.pair, keys.username]);
    const counts = [keys.pair, keys.username].map((key, i) => {
      const e = this.#entry(
        key,
        subject.username,
        i === 0 ? 'pair' : 'username',
        now,
        limits.windowMs,
        keep,
      );
      e.pending = Math.max(0, e.pending - 1);
      if (success) e.failures = 0;
      else {
        e.failures += 1;
        e.lastMs = now;
      }
      const n = e.failures;
      if (e.failures === 0 && e.pending === 0) this.#remove(e);
      return n;
    });
    return Promise.resolve({ pairFailures: counts[0] ?? 0, usernameFailures: counts[1] ?? 0 });
  }

  /** Current failure counts of a subject (0 when absent or lapsed), without counting. */
  peek(subject: LoginSubject, windowMs: number): FailureCounts {
    const now = this.#clock.now();
    const keys = failureKeys(subject);
    return {
      pairFailures: this.#live(keys.pair, now, windowMs)?.failures ?? 0,
      usernameFailures: this.#live(keys.username, now, windowMs)?.failures ?? 0,
    };
  }
}
