/**
 * Redis-backed stores for several API server replicas (node-redis 6).
 *
 * - `RedisFailureStore`: the login failure counters, shared by every replica, so an attacker gets
 *   5 guesses per window in total, not 5 per replica. Lua scripts admit an attempt (failures
 *   plus attempts in flight below both limits) and settle it, each atomically; failure counters
 *   expire `window` after the last failure, in-flight marks after 60 s if a replica dies.
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
  type FailureCounts,
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

// KEYS: pair failures, username failures, pair in flight, username in flight.
// ARGV: pair limit, username limit, in-flight TTL (ms). Returns {state, pair failures, username
// failures} with state 1 admitted, 0 locked, 2 saturated.
const ADMIT_SCRIPT = `
local fp = tonumber(redis.call('GET', KEYS[1]) or '0')
local fu = tonumber(redis.call('GET', KEYS[2]) or '0')
if fp >= tonumber(ARGV[1]) or fu >= tonumber(ARGV[2]) then return {0, fp, fu} end
local pp = tonumber(redis.call('GET', KEYS[3]) or '0')
local pu = tonumber(redis.call('GET', KEYS[4]) or '0')
if fp + pp >= tonumber(ARGV[1]) or fu + pu >= tonumber(ARGV[2]) then return {2, fp, fu} end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return {1, fp, fu}
`;

// Same KEYS. ARGV: 1 for success / 0 for failure, window (ms; 0 = no expiry).
// Returns {pair failures, username failures} after.
const SETTLE_SCRIPT = `
for i = 3, 4 do
  if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
end
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {0, 0}
end
local fp = redis.call('INCR', KEYS[1])
local fu = redis.call('INCR', KEYS[2])
if tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {fp, fu}
`;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const SCRIPTS = {
  admit: { text: ADMIT_SCRIPT, sha: sha1(ADMIT_SCRIPT) },
  settle: { text: SETTLE_SCRIPT, sha: sha1(SETTLE_SCRIPT) },
} as const;

export interface RedisFailureStoreOptions {
  /** key prefix; default `argocd-ts|login-failures|` */
  readonly keyPrefix?: string;
  /** counters used while Redis is unreachable (default: a MemoryFailureStore) */
  readonly fallback?: FailureStore;
  /** an attempt in flight is forgotten after this long even if its replica died (default 60 s) */
  readonly inFlightTtlMs?: number;
  readonly logger?: SecurityLogger;
}

function numbers(reply: unknown, length: number, what: string): number[] {
  if (!Array.isArray(reply) || reply.length !== length)
    throw new AuthError('ERR_AUTH_STORE', `failed to ${what}: unexpected Redis reply`);
  return reply.map((x: unknown) => Number(x));
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
  readonly #inFlightTtlMs: number;
  readonly #logger: SecurityLogger;
  #degraded = false;

  constructor(client: AuthRedisClient, options: RedisFailureStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'argocd-ts|login-failures|';
    this.#fallback = options.fallback ?? new MemoryFailureStore();
    this.#inFlightTtlMs = options.inFlightTtlMs ?? 60_000;
    this.#logger = options.logger ?? noopSecurityLogger;
  }

  /** True while the last Redis call failed and the fallback counters are in use. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /**
   * The keys of a subject: pair and username failures, pair and username attempts in flight. The
   * hash tag keeps all four in one slot for Redis Cluster.
   */
  keys(subject: LoginSubject): [string, string, string, string] {
    const base = `${this.#prefix}{${encodeURIComponent(subject.username)}}`;
    const address = encodeURIComponent(subject.clientAddress);
    return [
      `${base}|fail|p|${address}`,
      `${base}|fail|u`,
      `${base}|pend|p|${address}`,
      `${base}|pend|u`,
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

  async #run(
    script: (typeof SCRIPTS)[keyof typeof SCRIPTS],
    keys: string[],
    args: string[],
  ): Promise<unknown> {
    try {
      return await this.#client.evalSha(script.sha, { keys, arguments: args });
    } catch (err) {
      if (!errorMessage(err).startsWith('NOSCRIPT')) throw err;
      return this.#client.eval(script.text, { keys, arguments: args });
    }
  }

  async admit(subject: LoginSubject, limits: FailureLimits): Promise<Admission> {
    let reply: unknown;
    try {
      reply = await this.#run(SCRIPTS.admit, this.keys(subject), [
        String(limits.pairLimit),
        String(limits.usernameLimit),
        String(this.#inFlightTtlMs),
      ]);
    } catch (err) {
      this.#degrade(err);
      return this.#fallback.admit(subject, limits);
    }
    this.#degraded = false;
    const [state, pairFailures = 0, usernameFailures = 0] = numbers(
      reply,
      3,
      'count login attempt',
    );
    return {
      state: state === 1 ? 'admitted' : state === 2 ? 'saturated' : 'locked',
      pairFailures,
      usernameFailures,
    };
  }

  async settle(
    subject: LoginSubject,
    success: boolean,
    limits: FailureLimits,
  ): Promise<FailureCounts> {
    let reply: unknown;
    try {
      reply = await this.#run(SCRIPTS.settle, this.keys(subject), [
        success ? '1' : '0',
        String(Math.max(0, Math.floor(limits.windowMs))),
      ]);
    } catch (err) {
      this.#degrade(err);
      return this.#fallback.settle(subject, success, limits);
    }
    const [pairFailures = 0, usernameFailures = 0] = numbers(reply, 2, 'record login outcome');
    return { pairFailures, usernameFailures };
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
    const remember = (expiresAtMs: number | undefined): void => {
      try {
        this.#local.add(jti, expiresAtMs);
      } catch (err) {
        this.#logger.log({
          event: 'store.degraded',
          message: `a revocation from another replica was not kept: ${errorMessage(err)}`,
          security: SecurityLevels.HIGH,
        });
      }
    };
    this.#client.get(this.#key(jti)).then(
      (value) => {
        // null: expired already (or never stored), nothing left to refuse
        if (value !== null) remember(parseExpiry(value));
      },
      () => {
        // Cannot read the expiry: refuse the token anyway, for good (rare; bounded by the store).
        remember(undefined);
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
