/**
 * The signing keys of an external OpenID provider (its JWKS), for verifying ID tokens:
 *
 * - fetched through an injected fetch (the server's, with the provider link's TLS) with a timeout,
 *   `redirect: 'manual'` (a redirect is an error, never followed) and a cap on the response size;
 * - cached for `maxAgeMs` (10 min), refetched when a token names an unknown `kid`, but at most once
 *   per `cooldownMs` (30 s) so forged `kid`s cannot make the server hammer the provider;
 * - symmetric (`oct`) keys are dropped: an external token is never checked with an HMAC key;
 * - concurrent requests share one fetch.
 *
 * The clock is injected, so expiry and cooldown are testable without waiting.
 */
import {
  createLocalJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey as JoseCryptoKey,
} from 'jose';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isRecord } from '../lib/index.js';
import { AuthError } from './errors.js';
import { systemClock, type Clock } from './ports.js';

/** What the key set needs of fetch (Node's global fetch and the server's link fetch both fit). */
export type OidcFetch = (
  url: string,
  init: {
    readonly method: string;
    readonly headers: Record<string, string>;
    readonly redirect: 'manual';
    readonly signal?: AbortSignal;
  },
) => Promise<Response>;

export interface OidcKeySetOptions {
  /** the provider's `jwks_uri` */
  readonly jwksUri: string;
  readonly fetch: OidcFetch;
  readonly clock?: Clock;
  /** default 5 s */
  readonly timeoutMs?: number;
  /** how long a fetched key set is used before it is fetched again; default 10 min */
  readonly maxAgeMs?: number;
  /** least time between two fetches triggered by unknown key ids; default 30 s */
  readonly cooldownMs?: number;
  /** default 256 KiB */
  readonly maxBytes?: number;
}

type KeyResolver = (
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<JoseCryptoKey>;

async function readBounded(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new Error(`the response is larger than ${max} bytes`);
  if (!res.body) return '';
  const reader = (res.body as unknown as WebReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    const value = chunk.value;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`the response is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The key set of one provider. */
export class OidcKeySet {
  readonly jwksUri: string;
  readonly #fetch: OidcFetch;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #maxBytes: number;
  #local: KeyResolver | undefined;
  /** keys already selected and imported, by `alg` and `kid` (cleared with every new set) */
  readonly #byKid = new Map<string, JoseCryptoKey>();
  #fetchedAtMs = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;
  /** number of fetches made (for tests and metrics) */
  fetches = 0;
  /** bumped whenever a new key set is in use (verifiers drop signature results of older sets) */
  generation = 0;

  constructor(options: OidcKeySetOptions) {
    const u = new URL(options.jwksUri);
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new TypeError(`jwks_uri must be http(s), got ${u.protocol}`);
    this.jwksUri = u.href;
    this.#fetch = options.fetch;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
  }

  /** jose's key lookup: the key for the token's header, fetching the set when needed. */
  readonly getKey = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<JoseCryptoKey> => {
    const now = this.#clock.now();
    if (this.#local === undefined || now - this.#fetchedAtMs >= this.#maxAgeMs) await this.reload();
    const local = this.#local;
    if (local === undefined)
      throw new AuthError('ERR_AUTH_STORE', 'failed to load the provider keys');
    const id = typeof header.kid === 'string' ? `${String(header.alg)} ${header.kid}` : undefined;
    const known = id === undefined ? undefined : this.#byKid.get(id);
    if (known !== undefined) return known;
    try {
      const key = await local(header, token);
      if (id !== undefined && this.#byKid.size < 256) this.#byKid.set(id, key);
      return key;
    } catch (err) {
      if (
        err instanceof joseErrors.JWKSNoMatchingKey &&
        this.#clock.now() - this.#fetchedAtMs >= this.#cooldownMs
      ) {
        await this.reload();
        const again = this.#local;
        if (again) return again(header, token);
      }
      throw err;
    }
  };

  /** Fetches the key set when it is older than `maxAgeMs` (or was never fetched). */
  async ensureFresh(): Promise<void> {
    if (this.#local === undefined || this.#clock.now() - this.#fetchedAtMs >= this.#maxAgeMs)
      await this.reload();
  }

  /** Fetches the key set now (concurrent callers share the fetch). */
  reload(): Promise<void> {
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #load(): Promise<void> {
    this.fetches++;
    // the cooldown counts from the attempt, so a provider that keeps failing is not hammered either
    this.#fetchedAtMs = this.#clock.now();
    let res: Response;
    try {
      res = await this.#fetch(this.jwksUri, {
        method: 'GET',
        headers: { accept: 'application/json, application/jwk-set+json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new AuthError(
        'ERR_AUTH_STORE',
        `failed to fetch the identity provider's keys from ${this.jwksUri}: the request failed or timed out`,
        { cause: err },
      );
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new AuthError(
        'ERR_AUTH_STORE',
        `failed to fetch the identity provider's keys from ${this.jwksUri}: HTTP ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readBounded(res, this.#maxBytes));
    } catch (err) {
      throw new AuthError(
        'ERR_AUTH_STORE',
        `failed to read the identity provider's keys from ${this.jwksUri}: not a JSON key set of at most ${this.#maxBytes} bytes`,
        { cause: err },
      );
    }
    if (!isRecord(parsed) || !Array.isArray(parsed.keys))
      throw new AuthError(
        'ERR_AUTH_STORE',
        `failed to read the identity provider's keys from ${this.jwksUri}: no "keys" list`,
      );
    const keys = (parsed.keys as unknown[]).filter(
      (k): k is JWK => isRecord(k) && typeof k.kty === 'string' && k.kty !== 'oct',
    );
    const set: JSONWebKeySet = { keys };
    this.#local = createLocalJWKSet(set);
    this.#byKid.clear();
    this.generation++;
  }
}
