/**
 * Redis-backed stores for several API server replicas (node-redis 6).
 *
 * - `RedisFailureStore`: the login failure counters, shared by every replica, so an attacker gets
 *   5 guesses per window in total, not 5 per replica. One Lua script checks both counters and
 *   counts the attempt atomically; counters expire `window` after their last counted attempt.
 *   When Redis cannot be reached the store falls back to this replica's in-memory counters, i.e.
 *   to exactly Argo CD's protection (it keeps counters in memory only): neither fail-open (no
 *   protection while Redis is down, which an attacker could provoke) nor fail-closed (nobody,
 *   admin included, can log in while Redis is down). See docs/auth.md.
 * - `RedisRevocationStore`: revoked `jti`s as keys `revoked-token|<jti>` with a TTL equal to the
 *   token's remaining lifetime, announced on channel `new-revoked-token` (Argo CD's names) and
 *   mirrored in memory, so `isRevoked` never waits on the network. A full resync every 15 s picks
 *   up anything missed; revocations made while Redis was down are pushed then. The mirror only
 *   grows until expiry: Redis losing its data never un-revokes a token this replica knows.
 *
 * Redis must require a password (`requirepass`/ACL; CVE-2024-31989): whoever can write to it can
 * delete failure counters and revocations. `createAuthRedisClient` refuses to connect without one
 * unless told `insecureAllowNoPassword`.
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { errorMessage, sanitizeText, sanitizeUrl } from '../lib/index.js';
import { AuthError } from './errors.js';
import { MemoryFailureStore } from './failure-store.js';
import {
  noopSecurityLogger,
  SecurityLevels,
  systemClock,
  type Admission,
  type Clock,
  type FailureLimits,
  type FailureStore,
  type LoginSubject,
  type RevocationStore,
  type SecurityLogger,
} from './ports.js';
import { MemoryRevocationStore } from './revocation-store.js';

/** The node-redis client type the stores take (what `createAuthRedisClient` returns). */
export type AuthRedisClient = ReturnType<typeof createAuthRedisClient>;

export interface AuthRedisOptions {
  /** `redis://host:port[/db]` or `rediss://...` (TLS) */
  readonly url: string;
  readonly username?: string;
  /** the Redis password (`REDIS_PASSWORD` in Argo CD's manifests) */
  readonly password?: string;
  /** allow a Redis without authentication (test rigs only; CVE-2024-31989) */
  readonly insecureAllowNoPassword?: boolean;
  /** per-command timeout; keeps logins from hanging on a stalled Redis (default 1000) */
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly logger?: SecurityLogger;
}

/**
 * Creates (does not connect) a client for the auth stores: password required, commands fail fast
 * while disconnected (no offline queue) and time out after `commandTimeoutMs`, reconnection with
 * capped backoff, and connection errors reported once per outage as `store.degraded`.
 * @example
 * const redis = createAuthRedisClient({ url: 'redis://argocd-redis:6379', password });
 * await redis.connect();
 */
export function createAuthRedisClient(options: AuthRedisOptions) {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (err) {
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to configure Redis: "${sanitizeUrl(options.url)}" is not a redis:// or rediss:// URL`,
      { cause: err },
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to configure Redis: "${sanitizeUrl(options.url)}" is not a redis:// or rediss:// URL`,
    );
  const hasPassword = (options.password ?? '') !== '' || url.password !== '';
  if (!hasPassword && options.insecureAllowNoPassword !== true)
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      'failed to configure Redis: no password given; protect Redis with requirepass and pass the password (CVE-2024-31989)',
    );
  const logger = options.logger ?? noopSecurityLogger;
  const client = createClient({
    url: options.url,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined && options.password !== ''
      ? { password: options.password }
      : {}),
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 1000 },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), 5000),
    },
  });
  watchHealth(client, logger, sanitizeUrl(options.url), [options.password ?? '', url.password]);
  return client;
}

/** Logs the first error of each outage (the client emits one per reconnect attempt). */
function watchHealth(
  client: { on(event: 'error' | 'ready', listener: (err: unknown) => void): unknown },
  logger: SecurityLogger,
  where: string,
  secrets: readonly string[],
): void {
  let healthy = true;
  client.on('error', (err: unknown) => {
    if (!healthy) return;
    healthy = false;
    logger.log({
      event: 'store.degraded',
      message: `Redis at ${where} is unreachable: ${sanitizeText(errorMessage(err), secrets.filter(Boolean))}`,
      security: SecurityLevels.HIGH,
    });
  });
  client.on('ready', () => {
    healthy = true;
  });
}

// KEYS[1] pair counter, KEYS[2] username counter; ARGV pair limit, username limit, window ms.
const ADMIT_SCRIPT = `
local p = tonumber(redis.call('GET', KEYS[1]) or '0')
local u = tonumber(redis.call('GET', KEYS[2]) or '0')
if p >= tonumber(ARGV[1]) or u >= tonumber(ARGV[2]) then return {0, p, u} end
p = redis.call('INCR', KEYS[1])
u = redis.call('INCR', KEYS[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return {1, p, u}
`;
const ADMIT_SHA = createHash('sha1').update(ADMIT_SCRIPT).digest('hex');

export interface RedisFailureStoreOptions {
  /** key prefix; default `argocd-ts|login-failures|` */
  readonly keyPrefix?: string;
  /** counters used while Redis is unreachable (default: a MemoryFailureStore) */
  readonly fallback?: FailureStore;
  readonly logger?: SecurityLogger;
}

/**
 * Login failure counters in Redis, shared by all replicas, with the in-memory store as fallback.
 * @example
 * const failures = new RedisFailureStore(redis, {
 *   fallback: new MemoryFailureStore({ maxEntries: loginOptions.maxCacheSize }),
 * });
 */
export class RedisFailureStore implements FailureStore {
  readonly #client: AuthRedisClient;
  readonly #prefix: string;
  readonly #fallback: FailureStore;
  readonly #logger: SecurityLogger;
  #degraded = false;

  constructor(client: AuthRedisClient, options: RedisFailureStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'argocd-ts|login-failures|';
    this.#fallback = options.fallback ?? new MemoryFailureStore();
    this.#logger = options.logger ?? noopSecurityLogger;
  }

  /** True while the last Redis call failed and the fallback counters are in use. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** The two keys of a subject; the hash tag keeps both in one slot for Redis Cluster. */
  keys(subject: LoginSubject): [string, string] {
    const user = encodeURIComponent(subject.username);
    return [
      `${this.#prefix}{${user}}|p|${encodeURIComponent(subject.clientAddress)}`,
      `${this.#prefix}{${user}}|u`,
    ];
  }

  #degrade(err: unknown): void {
    if (this.#degraded) return;
    this.#degraded = true;
    this.#logger.log({
      event: 'store.degraded',
      message: `login failure counters fall back to this replica's memory: ${errorMessage(err)}`,
      security: SecurityLevels.HIGH,
    });
  }

  async #evalAdmit(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalSha(ADMIT_SHA, { keys, arguments: args });
    } catch (err) {
      if (!errorMessage(err).startsWith('NOSCRIPT')) throw err;
      return this.#client.eval(ADMIT_SCRIPT, { keys, arguments: args });
    }
  }

  async admit(subject: LoginSubject, limits: FailureLimits): Promise<Admission> {
    const keys = this.keys(subject);
    let reply: unknown;
    try {
      reply = await this.#evalAdmit(keys, [
        String(limits.pairLimit),
        String(limits.usernameLimit),
        String(Math.max(0, Math.floor(limits.windowMs))),
      ]);
    } catch (err) {
      this.#degrade(err);
      return this.#fallback.admit(subject, limits);
    }
    this.#degraded = false;
    if (!Array.isArray(reply) || reply.length !== 3)
      throw new AuthError(
        'ERR_AUTH_STORE',
        'failed to count login attempt: unexpected Redis reply',
      );
    const [admitted, pairCount, usernameCount] = reply.map((x: unknown) => Number(x));
    return {
      admitted: admitted === 1,
      pairCount: pairCount ?? 0,
      usernameCount: usernameCount ?? 0,
    };
  }

  async reset(subject: LoginSubject): Promise<void> {
    await this.#fallback.reset(subject);
    try {
      await this.#client.del(this.keys(subject));
    } catch (err) {
      // The counters lapse on their own after the window; a stale count only errs on the safe side.
      this.#degrade(err);
    }
  }
}

export interface RedisRevocationStoreOptions {
  /** default Argo CD's `revoked-token|` */
  readonly keyPrefix?: string;
  /** default Argo CD's `new-revoked-token` */
  readonly channel?: string;
  /** full resynchronisation period (default 15 s, as Argo CD) */
  readonly resyncIntervalMs?: number;
  readonly clock?: Clock;
  readonly logger?: SecurityLogger;
  /** the in-memory mirror (default: a new MemoryRevocationStore) */
  readonly local?: MemoryRevocationStore;
}

/**
 * Revocations shared through Redis and mirrored in memory. Call `start()` once (subscribes and
 * loads), `stop()` at shutdown (it closes only the subscriber connection it opened).
 * @example
 * const revocations = new RedisRevocationStore(redis);
 * await revocations.start();
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #client: AuthRedisClient;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #logger: SecurityLogger;
  readonly #local: MemoryRevocationStore;
  /** revocations not yet written to Redis (jti → expiry ms or undefined) */
  readonly #pending = new Map<string, number | undefined>();
  #subscriber: AuthRedisClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resyncing: Promise<void> | undefined;

  constructor(client: AuthRedisClient, options: RedisRevocationStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'revoked-token|';
    this.#channel = options.channel ?? 'new-revoked-token';
    this.#intervalMs = options.resyncIntervalMs ?? 15_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopSecurityLogger;
    this.#local = options.local ?? new MemoryRevocationStore({ clock: this.#clock });
  }

  /** Revocations waiting for Redis to come back. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Subscribes to the channel, loads every revocation, and starts the periodic resync. */
  async start(): Promise<void> {
    if (this.#subscriber) return;
    const subscriber = this.#client.duplicate();
    subscriber.on('error', () => {
      // reported by the main client's health watch; the subscriber reconnects by itself
    });
    await subscriber.connect();
    this.#subscriber = subscriber;
    await subscriber.subscribe(this.#channel, (message: string) => {
      this.#onMessage(message);
    });
    await this.resync();
    this.#timer = setInterval(() => {
      void this.resync();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the resync and closes the subscriber connection. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    await this.#resyncing;
    subscriber?.destroy();
  }

  #key(jti: string): string {
    return `${this.#prefix}${jti}`;
  }

  #onMessage(jti: string): void {
    if (jti === '' || this.#local.isRevoked(jti)) return;
    this.#client.get(this.#key(jti)).then(
      (value) => {
        if (value === null) return; // expired already (or never stored): nothing to refuse
        this.#local.add(jti, parseExpiry(value));
      },
      () => {
        // Cannot read the expiry: refuse the token anyway, for good (rare; bounded by the store).
        this.#local.add(jti, undefined);
      },
    );
  }

  async #write(jti: string, expiresAtMs: number | undefined): Promise<void> {
    const value = expiresAtMs === undefined ? '0' : String(Math.ceil(expiresAtMs));
    if (expiresAtMs === undefined) await this.#client.set(this.#key(jti), value);
    else {
      const ttl = Math.ceil(expiresAtMs - this.#clock.now());
      if (ttl <= 0) return;
      await this.#client.set(this.#key(jti), value, { expiration: { type: 'PX', value: ttl } });
    }
    await this.#client.publish(this.#channel, jti);
  }

  /**
   * Revokes at once on this replica, then in Redis (with a TTL of the token's remaining life) and
   * announces it. If Redis is down the revocation is kept and pushed at the next resync.
   */
  async revoke(jti: string, expiresAtMs: number | undefined): Promise<void> {
    this.#local.add(jti, expiresAtMs);
    try {
      await this.#write(jti, expiresAtMs);
    } catch (err) {
      this.#pending.set(jti, expiresAtMs);
      this.#logger.log({
        event: 'store.degraded',
        message: `revocation kept locally until Redis is reachable: ${errorMessage(err)}`,
        security: SecurityLevels.HIGH,
      });
    }
  }

  isRevoked(jti: string): boolean {
    return this.#local.isRevoked(jti);
  }

  /** Pushes pending revocations, then loads every revocation held in Redis into the mirror. */
  resync(): Promise<void> {
    this.#resyncing ??= this.#resync().finally(() => {
      this.#resyncing = undefined;
    });
    return this.#resyncing;
  }

  async #resync(): Promise<void> {
    try {
      for (const [jti, exp] of [...this.#pending]) {
        await this.#write(jti, exp);
        this.#pending.delete(jti);
      }
      this.#local.prune();
      for await (const keys of this.#client.scanIterator({
        MATCH: `${this.#prefix}*`,
        COUNT: 500,
      })) {
        if (keys.length === 0) continue;
        const values = await this.#client.mGet(keys);
        keys.forEach((key, i) => {
          const value = values[i];
          if (value === null || value === undefined) return;
          this.#local.add(key.slice(this.#prefix.length), parseExpiry(value));
        });
      }
    } catch (err) {
      this.#logger.log({
        event: 'store.degraded',
        message: `revocation resync with Redis failed: ${errorMessage(err)}`,
        security: SecurityLevels.HIGH,
      });
    }
  }
}

function parseExpiry(value: string): number | undefined {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
