/**
 * List-then-watch of one collection, kept alive forever (until `stop()`), the building block of the
 * cluster cache and of the cluster-Secret watch:
 * - lists in pages (`limit`/`continue`), then watches from the list's resourceVersion with
 *   bookmarks and a server-side `timeoutSeconds` (randomised 5–10 min by default, like client-go);
 * - a watch the server ends normally is resumed from the last resourceVersion seen;
 * - 410 Gone (resourceVersion too old) → relist; the consumer is told `listStart`/`listItem`/
 *   `listEnd` so it can emit adds, updates and deletes and stay consistent;
 * - any other failure (connection broken, 5xx, 403, stalled watch with no byte for
 *   `stallTimeoutMs`) → retry with exponential backoff and jitter, capped; never a hot loop: even
 *   watches that end at once without an event back off;
 * - an optional periodic full relist (`resyncIntervalMs`).
 */
import type { KubeObject } from '../apis/index.js';
import { errorMessage } from '../lib/index.js';
import type { KubeClient, ResourceRef, WatchEvent } from './client.js';
import { isGone, isNotFound } from './errors.js';
import { silentLog, type KubeLog } from './log.js';
import { defaultSleep, type Sleep } from './rate-limiter.js';

export interface BackoffOptions {
  /** first delay after a failure (default 500 ms) */
  readonly initialMs?: number;
  /** cap (default 30 s) */
  readonly maxMs?: number;
}

export interface InformerHandler {
  /** a full list begins; `listItem` follows for each object, then `listEnd` */
  listStart(): void;
  listItem(obj: KubeObject): void;
  /** the list is complete: objects not seen since `listStart` are gone */
  listEnd(): void;
  /** a watch event (objects are freshly parsed and owned by the handler) */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void;
  /** the server no longer serves the resource (404): everything cached for it is gone */
  notServed?(): void;
}

export interface InformerOptions {
  readonly client: KubeClient;
  /** the collection (no name); a namespace restricts it */
  readonly resource: ResourceRef;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** items per list page (default 500) */
  readonly pageSize?: number;
  /** longest server-side watch timeout; each watch takes a random 50–100 % of it (default 600 s) */
  readonly watchTimeoutSeconds?: number;
  /** restart a watch that received no byte for this long (default: watch timeout + 60 s) */
  readonly stallTimeoutMs?: number;
  /** full relist this often even when watches are healthy (default 0 = never) */
  readonly resyncIntervalMs?: number;
  readonly backoff?: BackoffOptions;
  readonly handler: InformerHandler;
  readonly log?: KubeLog;
  readonly now?: () => number;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** label for logs, e.g. `apps/Deployment in argocd` */
  readonly name?: string;
}

export type InformerState = 'pending' | 'listing' | 'watching' | 'backoff' | 'stopped';

export interface InformerStats {
  readonly state: InformerState;
  readonly synced: boolean;
  readonly lists: number;
  /** relists caused by 410 Gone */
  readonly relists: number;
  readonly watches: number;
  /** failures followed by a backoff */
  readonly restarts: number;
  readonly events: number;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  /** `now()` of the last completed list */
  readonly lastListAt?: number;
  readonly resourceVersion?: string;
}

const MIN_HEALTHY_WATCH_MS = 1000;

/** One list+watch loop. `start()` once; `stop()` ends it and waits for it. */
export class Informer {
  private readonly o: InformerOptions;
  private readonly log: KubeLog;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private syncedFlag = false;
  private readonly syncWaiters: {
    resolve: () => void;
    reject: (e: unknown) => void;
    failFast: boolean;
  }[] = [];
  private st: {
    state: InformerState;
    lists: number;
    relists: number;
    watches: number;
    restarts: number;
    events: number;
    consecutiveFailures: number;
    lastError?: string;
    lastListAt?: number;
    resourceVersion?: string;
  } = {
    state: 'pending',
    lists: 0,
    relists: 0,
    watches: 0,
    restarts: 0,
    events: 0,
    consecutiveFailures: 0,
  };

  constructor(options: InformerOptions) {
    this.o = options;
    this.log = options.log ?? silentLog;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  get name(): string {
    return this.o.name ?? this.o.resource.resource;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run().catch((err: unknown) => {
      // run() handles its own errors; anything here is a bug in a handler
      this.log('error', 'informer loop ended unexpectedly', {
        informer: this.name,
        error: errorMessage(err),
      });
    });
  }

  /** Stops the loop (aborting the open watch or request) and waits until it has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.st.state = 'stopped';
    for (const w of this.syncWaiters.splice(0)) w.reject(new Error('the informer was stopped'));
    await this.loop;
  }

  get synced(): boolean {
    return this.syncedFlag;
  }

  /**
   * Resolves after the first complete list. With `failFast`, rejects with the error of a failed
   * first list instead of waiting for the retries.
   */
  waitForSync(failFast = false): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    if (this.abort.signal.aborted) return Promise.reject(new Error('the informer was stopped'));
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject, failFast });
    });
  }

  stats(): InformerStats {
    return { ...this.st, synced: this.syncedFlag };
  }

  private backoffDelay(failures: number): number {
    const initial = this.o.backoff?.initialMs ?? 500;
    const max = this.o.backoff?.maxMs ?? 30_000;
    const d = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
    return d / 2 + (this.random() * d) / 2;
  }

  /** Between half and all of the configured maximum (default 600 s), so watches spread out. */
  private watchTimeoutSeconds(): number {
    const max = this.o.watchTimeoutSeconds ?? 600;
    return Math.max(1, Math.floor(max / 2 + (this.random() * max) / 2));
  }

  private async listAll(): Promise<string | undefined> {
    const signal = this.abort.signal;
    this.st.state = 'listing';
    const handler = this.o.handler;
    let cont: string | undefined;
    let rv: string | undefined;
    let started = false;
    do {
      const page = await this.o.client.list(
        this.o.resource,
        {
          limit: this.o.pageSize ?? 500,
          ...(cont ? { continue: cont } : {}),
          ...(this.o.labelSelector ? { labelSelector: this.o.labelSelector } : {}),
          ...(this.o.fieldSelector ? { fieldSelector: this.o.fieldSelector } : {}),
        },
        signal,
      );
      if (!started) {
        handler.listStart();
        started = true;
      }
      for (const item of page.items) handler.listItem(item);
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont !== undefined && !signal.aborted);
    signal.throwIfAborted();
    handler.listEnd();
    this.st.lists++;
    this.st.lastListAt = this.now();
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
    return rv;
  }

  private failFirstSync(err: unknown): void {
    if (this.syncedFlag) return;
    const keep: typeof this.syncWaiters = [];
    for (const w of this.syncWaiters.splice(0)) {
      if (w.failFast) w.reject(err);
      else keep.push(w);
    }
    this.syncWaiters.push(...keep);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let rv: string | undefined;
    let goneStreak = 0;
    while (!signal.aborted) {
      let phase: 'list' | 'watch' = 'watch';
      try {
        const resync = this.o.resyncIntervalMs ?? 0;
        if (
          rv === undefined ||
          (resync > 0 &&
            this.st.lastListAt !== undefined &&
            this.now() - this.st.lastListAt >= resync)
        ) {
          phase = 'list';
          rv = await this.listAll();
          if (rv !== undefined) this.st.resourceVersion = rv;
          this.st.consecutiveFailures = 0;
        }
        phase = 'watch';
        this.st.state = 'watching';
        this.st.watches++;
        const timeoutSeconds = this.watchTimeoutSeconds();
        const started = this.now();
        const count = { events: 0 };
        await this.o.client.watch(
          this.o.resource,
          {
            ...(rv !== undefined ? { resourceVersion: rv } : {}),
            timeoutSeconds,
            idleTimeoutMs: this.o.stallTimeoutMs ?? timeoutSeconds * 1000 + 60_000,
            signal,
            ...(this.o.labelSelector ? { labelSelector: this.o.labelSelector } : {}),
            ...(this.o.fieldSelector ? { fieldSelector: this.o.fieldSelector } : {}),
          },
          (ev: WatchEvent) => {
            count.events++;
            const v = ev.object.metadata.resourceVersion;
            if (v) {
              rv = v;
              this.st.resourceVersion = v;
            }
            if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
            this.st.events++;
            this.o.handler.event(ev.type, ev.object);
          },
        );
        goneStreak = 0;
        if (count.events === 0 && this.now() - started < MIN_HEALTHY_WATCH_MS) {
          // a watch that ends at once without a single event is a failure in disguise
          this.st.consecutiveFailures++;
          await this.backoff('the watch ended at once without events');
        } else {
          this.st.consecutiveFailures = 0;
        }
      } catch (err) {
        if (this.isStopped()) break;
        const message = errorMessage(err);
        this.st.lastError = message;
        if (isGone(err)) {
          // our resourceVersion is older than the server keeps: relist and diff
          this.st.relists++;
          rv = undefined;
          goneStreak++;
          this.log('info', 'resource version expired; relisting', {
            informer: this.name,
            error: message,
          });
          if (goneStreak > 1) await this.backoff(message, goneStreak - 1);
          continue;
        }
        if (isNotFound(err)) {
          // the kind is not served (CRD deleted): whatever was cached for it is gone
          rv = undefined;
          this.o.handler.notServed?.();
        }
        if (phase === 'list') this.failFirstSync(err);
        this.st.consecutiveFailures++;
        this.log('warn', `${phase} failed; retrying with backoff`, {
          informer: this.name,
          error: message,
          attempt: this.st.consecutiveFailures,
        });
        await this.backoff(message);
      }
    }
    this.st.state = 'stopped';
  }

  private isStopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async backoff(reason: string, failures = this.st.consecutiveFailures): Promise<void> {
    this.st.restarts++;
    this.st.state = 'backoff';
    this.st.lastError = reason;
    try {
      await this.sleep(this.backoffDelay(Math.max(1, failures)), this.abort.signal);
    } catch {
      // aborted: the loop sees the signal and ends
    }
  }
}
