/**
 * A work queue with client-go's guarantees (≈ `workqueue.RateLimitingInterface`):
 * - **dedup**: a key waiting in the queue is queued once, however often it is added;
 * - **per-key exclusivity**: a key handed to a worker is not handed to another until `done(key)`;
 *   a key added meanwhile is queued again at `done`, so no change is lost;
 * - **delayed adds** (`addAfter`) keep only the earliest pending timer per key;
 * - **rate-limited retries** (`addRateLimited`): per-key exponential backoff until `forget(key)`.
 * Time comes in through `QueueClock` so tests drive it.
 */

export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemQueueClock: QueueClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
  },
};

export interface WorkQueueOptions {
  /** first retry delay (default 100 ms) */
  readonly baseDelayMs?: number;
  /** retry delay cap (default 30 s) */
  readonly maxDelayMs?: number;
  /** growth per failure (default 2) */
  readonly factor?: number;
  readonly clock?: QueueClock;
  /** name for metrics and logs */
  readonly name?: string;
}

/** A deduplicating, per-key-exclusive, rate-limited work queue of string keys. */
export class WorkQueue {
  readonly name: string;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly timers = new Map<string, { at: number; handle: unknown }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly clock: QueueClock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly factor: number;
  private shuttingDown = false;
  /** keys handed out so far (for metrics) */
  adds = 0;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? 'queue';
    this.clock = options.clock ?? systemQueueClock;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.factor = options.factor ?? 2;
  }

  /** Queues `key` unless it is already waiting. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.adds++;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  /** Queues `key` after `delayMs`; an earlier pending timer for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, handle });
  }

  /** The delay the next `addRateLimited(key)` uses. */
  nextDelay(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * this.factor ** n);
  }

  /** Queues `key` after its per-key backoff, which grows with each call until `forget(key)`. */
  addRateLimited(key: string): number {
    const delay = this.nextDelay(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key`. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Failures recorded for `key` since the last `forget`. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.head < this.queue.length) {
      const key = this.queue[this.head] ?? '';
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; queues it again when it was added while being processed. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      const waiter = this.waiters.shift();
      if (waiter) {
        this.dirty.delete(key);
        this.processing.add(key);
        waiter(key);
      } else this.queue.push(key);
    }
  }

  /** Keys waiting (not counting those being processed or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Stops handing out keys; waiting `get()` calls resolve undefined; timers are cleared. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t.handle);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}

/**
 * Runs `count` workers taking keys from `queue` until it shuts down. `handle` errors are passed to
 * `onError` (never thrown out of the loop); `done` is always called.
 */
export function runWorkers(
  queue: WorkQueue,
  count: number,
  handle: (key: string) => Promise<void>,
  onError: (key: string, err: unknown) => void,
): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await handle(key);
      } catch (err) {
        onError(key, err);
      } finally {
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: Math.max(1, count) }, worker)).then(() => undefined);
}
