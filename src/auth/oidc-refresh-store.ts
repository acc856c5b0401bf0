/**
 * Where the API server keeps the refresh tokens of SSO sessions: server-side only (the browser
 * never sees one), keyed by the session, with an expiry. Values are opaque to the store; the server
 * seals them (AES-256-GCM) before storing, so a Redis dump does not hand out refresh tokens.
 *
 * - `MemoryRefreshTokenStore`: per replica, bounded (oldest out first), expired entries swept.
 * - `RedisRefreshTokenStore`: shared by replicas through the auth Redis (`createAuthRedisClient`);
 *   keys `argocd-ts|oidc-refresh|<session>` with a TTL.
 */
import type { AuthRedisClient } from './redis.js';
import { AuthError } from './errors.js';
import { systemClock, type Clock } from './ports.js';

export interface RefreshTokenStore {
  get(sessionKey: string): Promise<string | undefined>;
  /** stores `value` until `expiresAtMs` */
  set(sessionKey: string, value: string, expiresAtMs: number): Promise<void>;
  delete(sessionKey: string): Promise<void>;
}

export const DEFAULT_MAX_REFRESH_SESSIONS = 10_000;

/** In-memory store (one replica). */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  readonly #entries = new Map<string, { value: string; expiresAtMs: number }>();
  readonly #max: number;
  readonly #clock: Clock;

  constructor(options: { readonly maxEntries?: number; readonly clock?: Clock } = {}) {
    this.#max = options.maxEntries ?? DEFAULT_MAX_REFRESH_SESSIONS;
    this.#clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(sessionKey: string): Promise<string | undefined> {
    const e = this.#entries.get(sessionKey);
    if (e === undefined) return Promise.resolve(undefined);
    if (e.expiresAtMs <= this.#clock.now()) {
      this.#entries.delete(sessionKey);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(e.value);
  }

  set(sessionKey: string, value: string, expiresAtMs: number): Promise<void> {
    this.#entries.delete(sessionKey);
    if (this.#entries.size >= this.#max) {
      const now = this.#clock.now();
      for (const [k, e] of this.#entries) if (e.expiresAtMs <= now) this.#entries.delete(k);
      while (this.#entries.size >= this.#max) {
        const oldest = this.#entries.keys().next();
        if (oldest.done === true) break;
        this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(sessionKey, { value, expiresAtMs });
    return Promise.resolve();
  }

  delete(sessionKey: string): Promise<void> {
    this.#entries.delete(sessionKey);
    return Promise.resolve();
  }
}

/** Redis-backed store shared by API server replicas. */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #client: AuthRedisClient;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(
    client: AuthRedisClient,
    options: { readonly keyPrefix?: string; readonly clock?: Clock } = {},
  ) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'argocd-ts|oidc-refresh|';
    this.#clock = options.clock ?? systemClock;
  }

  async get(sessionKey: string): Promise<string | undefined> {
    try {
      const v = await this.#client.get(this.#prefix + sessionKey);
      return v ?? undefined;
    } catch (err) {
      throw new AuthError('ERR_AUTH_STORE', 'failed to read an SSO session from Redis', {
        cause: err,
      });
    }
  }

  async set(sessionKey: string, value: string, expiresAtMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(expiresAtMs - this.#clock.now()));
    try {
      await this.#client.set(this.#prefix + sessionKey, value, {
        expiration: { type: 'PX', value: ttl },
      });
    } catch (err) {
      throw new AuthError('ERR_AUTH_STORE', 'failed to store an SSO session in Redis', {
        cause: err,
      });
    }
  }

  async delete(sessionKey: string): Promise<void> {
    try {
      await this.#client.del(this.#prefix + sessionKey);
    } catch (err) {
      throw new AuthError('ERR_AUTH_STORE', 'failed to delete an SSO session from Redis', {
        cause: err,
      });
    }
  }
}
