/**
 * Client-side rate limiting for Kubernetes API requests: a token bucket with client-go's semantics
 * (`qps` tokens per second, at most `burst` saved up, the bucket starts full). Reservations are
 * handed out in call order, so waiting requests leave FIFO. Time and sleeping are injected, so the
 * bucket is tested with a fake clock.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';

/** Argo CD's defaults for its Kubernetes clients (`ARGOCD_K8S_CLIENT_QPS` / `_BURST`). */
export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;

export interface TokenBucketOptions {
  /** tokens per second; 0, a negative number or Infinity turns limiting off */
  readonly qps: number;
  /** bucket size (requests allowed at once after an idle period); at least 1 */
  readonly burst: number;
  /** milliseconds clock; `performance.now` by default */
  readonly now?: () => number;
}

/** A token bucket that hands out reservations: `reserve()` says how long to wait before going. */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    if (Number.isNaN(options.qps)) throw new TypeError('qps must be a number');
    if (!Number.isFinite(options.burst) && options.burst !== Infinity)
      throw new TypeError('burst must be a number');
    this.qps = options.qps > 0 && Number.isFinite(options.qps) ? options.qps : Infinity;
    this.burst = Math.max(1, Math.floor(options.burst));
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** True when the bucket never delays anyone. */
  get unlimited(): boolean {
    return this.qps === Infinity;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = t - this.last;
    this.last = t;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
  }

  /** Tokens available right now (negative while reservations wait). */
  available(): number {
    if (this.unlimited) return Infinity;
    this.refill();
    return this.tokens;
  }

  /** Takes one token; returns the milliseconds the caller must wait before sending (0 = now). */
  reserve(): number {
    if (this.unlimited) return 0;
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return (-this.tokens * 1000) / this.qps;
  }

  /** Gives back a reservation that was not used (the caller gave up while waiting). */
  cancel(): void {
    if (this.unlimited) return;
    this.refill();
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Sleeps `ms`; rejects with the signal's reason when it aborts. */
export const defaultSleep: Sleep = async (ms, signal) => {
  if (ms <= 0) {
    signal?.throwIfAborted();
    return;
  }
  await sleepTimer(ms, undefined, signal ? { signal } : {});
};

export interface RateLimiterOptions extends TokenBucketOptions {
  readonly sleep?: Sleep;
}

/** Awaitable token bucket shared by every non-watch request of a client. */
export class RateLimiter {
  private readonly bucket: TokenBucket;
  private readonly sleep: Sleep;

  constructor(options: RateLimiterOptions) {
    this.bucket = new TokenBucket(options);
    this.sleep = options.sleep ?? defaultSleep;
  }

  get qps(): number {
    return this.bucket.qps;
  }

  get burst(): number {
    return this.bucket.burst;
  }

  /** Waits for a token; resolves with the milliseconds waited. Aborting returns the token. */
  async acquire(signal?: AbortSignal): Promise<number> {
    const wait = this.bucket.reserve();
    if (wait <= 0) return 0;
    try {
      await this.sleep(wait, signal);
    } catch (err) {
      this.bucket.cancel();
      throw err;
    }
    return wait;
  }
}
