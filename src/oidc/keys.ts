/**
 * Signing keys that survive restarts and rotate without logging anyone out.
 *
 * The key set is an ordered list: the first key is the current one and signs every new token; the
 * others are retired keys, still published in the JWKS until every token they signed has expired
 * (`retentionMs` after retirement, at least the ID token lifetime), then dropped. `rotate()` puts a
 * new RS256 key in front and retires the old one, so a relying party that cached the JWKS keeps
 * verifying old tokens and fetches the JWKS again when it meets the new `kid`.
 *
 * Keys persist through the `KeyStore` port (the composition root stores them in a Kubernetes
 * Secret); writes carry the version they were based on, so two replicas rotating at once cannot
 * overwrite each other: the loser reloads and adopts the winner's keys.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { errorMessage, isRecord } from '../lib/index.js';
import { OidcError } from './errors.js';

const generateKeyPair = promisify(generateKeyPairCb);

/** The data key under which a Secret-backed KeyStore keeps `encodeKeySet`'s JSON. */
export const KEYS_SECRET_KEY = 'keys.json';

/** Smallest RSA modulus accepted for signing, in bits. */
export const MIN_RSA_BITS = 2048;

export interface RsaPrivateJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly d: string;
  readonly p: string;
  readonly q: string;
  readonly dp: string;
  readonly dq: string;
  readonly qi: string;
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256';
  readonly jwk: RsaPrivateJwk;
  /** epoch ms */
  readonly createdAt: number;
  /** epoch ms when it stopped signing; absent on the current key */
  readonly retiredAt?: number;
}

/** Current key first, then retired keys, newest first. */
export interface KeySet {
  readonly keys: readonly SigningKey[];
}

export interface StoredKeySet {
  readonly keySet: KeySet;
  /** opaque version for optimistic concurrency (a resourceVersion) */
  readonly version: string;
}

/**
 * Port: where the signing keys persist. Implementations must be atomic per call.
 */
export interface KeyStore {
  /** The stored set, or undefined when nothing is stored yet. */
  load(): Promise<StoredKeySet | undefined>;
  /**
   * Stores `keySet` if the stored version is still `expectedVersion` (undefined: nothing stored
   * yet) and returns the new version; otherwise throws OidcError `ERR_OIDC_KEYS_CONFLICT`.
   */
  save(keySet: KeySet, expectedVersion: string | undefined): Promise<string>;
}

/** Serialises a key set (the Secret holds this JSON under `keys.json`). */
export function encodeKeySet(keySet: KeySet): string {
  return JSON.stringify({
    keys: keySet.keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      createdAt: new Date(k.createdAt).toISOString(),
      ...(k.retiredAt === undefined ? {} : { retiredAt: new Date(k.retiredAt).toISOString() }),
      jwk: k.jwk,
    })),
  });
}

function keyError(message: string, cause?: unknown): OidcError {
  return new OidcError('ERR_OIDC_KEYS', `failed to read signing keys: ${message}`, { cause });
}

function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (bytes[i] ?? 0).toString(2).length;
}

function readJwk(v: unknown, where: string): RsaPrivateJwk {
  if (!isRecord(v) || v.kty !== 'RSA') throw keyError(`${where}.jwk must be an RSA private JWK`);
  const parts = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;
  const out: Record<string, string> = { kty: 'RSA' };
  for (const p of parts) {
    const x = v[p];
    if (typeof x !== 'string' || x === '') throw keyError(`${where}.jwk.${p} is missing`);
    out[p] = x;
  }
  const bits = modulusBits(out.n ?? '');
  if (bits < MIN_RSA_BITS)
    throw keyError(`${where} is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  return out as unknown as RsaPrivateJwk;
}

function readTime(v: unknown, where: string): number {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw keyError(`${where} must be an RFC 3339 time`);
  return t;
}

/** Parses what `encodeKeySet` wrote; throws OidcError `ERR_OIDC_KEYS` on anything else. */
export function decodeKeySet(text: string): KeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw keyError(`not JSON: ${errorMessage(err)}`);
  }
  if (!isRecord(doc) || !Array.isArray(doc.keys) || doc.keys.length === 0)
    throw keyError('expected {"keys": [...]} with at least one key');
  const kids = new Set<string>();
  const keys = doc.keys.map((k: unknown, i): SigningKey => {
    const where = `keys[${i}]`;
    if (!isRecord(k)) throw keyError(`${where} must be an object`);
    if (typeof k.kid !== 'string' || k.kid === '') throw keyError(`${where}.kid is missing`);
    if (kids.has(k.kid)) throw keyError(`${where}.kid "${k.kid}" is used twice`);
    kids.add(k.kid);
    if (k.alg !== 'RS256') throw keyError(`${where}.alg must be RS256`);
    const base = {
      kid: k.kid,
      alg: 'RS256' as const,
      jwk: readJwk(k.jwk, where),
      createdAt: readTime(k.createdAt, `${where}.createdAt`),
    };
    if (i === 0) {
      if (k.retiredAt !== undefined)
        throw keyError('keys[0] is the current key and cannot be retired');
      return base;
    }
    return { ...base, retiredAt: readTime(k.retiredAt, `${where}.retiredAt`) };
  });
  return { keys };
}

/** A new RS256 key with a random `kid`. */
export async function generateSigningKey(now: number = Date.now()): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('rsa', { modulusLength: MIN_RSA_BITS });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    kid: randomBytes(16).toString('hex'),
    alg: 'RS256',
    jwk: readJwk(jwk, 'generated key'),
    createdAt: now,
  };
}

/** The private JWKs oidc-provider signs with (current first) and publishes (public parts). */
export function providerJwks(keySet: KeySet): { keys: Record<string, unknown>[] } {
  return {
    keys: keySet.keys.map((k) => ({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig' })),
  };
}

export interface KeyManagerOptions {
  readonly store: KeyStore;
  /** how long a key signs before it is retired; default 24 h */
  readonly rotationPeriodMs?: number;
  /** how long a retired key stays published; must cover the longest token lifetime */
  readonly retentionMs: number;
  readonly now?: () => number;
  readonly generate?: (now: number) => Promise<SigningKey>;
}

/** Loads, creates, rotates and prunes the signing keys held in a KeyStore. */
export class KeyManager {
  private readonly store: KeyStore;
  private rotationPeriodMs: number;
  private retentionMs: number;
  private readonly now: () => number;
  private readonly generate: (now: number) => Promise<SigningKey>;
  private state: StoredKeySet | undefined;

  constructor(options: KeyManagerOptions) {
    this.store = options.store;
    this.rotationPeriodMs = options.rotationPeriodMs ?? 24 * 3_600_000;
    this.retentionMs = options.retentionMs;
    if (this.rotationPeriodMs <= 0 || this.retentionMs <= 0)
      throw new TypeError('rotationPeriodMs and retentionMs must be positive');
    this.now = options.now ?? Date.now;
    this.generate = options.generate ?? generateSigningKey;
  }

  /** Changes the rotation period and retention (they follow dex.config `expiry`). */
  setPolicy(policy: { rotationPeriodMs: number; retentionMs: number }): void {
    if (policy.rotationPeriodMs <= 0 || policy.retentionMs <= 0)
      throw new TypeError('rotationPeriodMs and retentionMs must be positive');
    this.rotationPeriodMs = policy.rotationPeriodMs;
    this.retentionMs = policy.retentionMs;
  }

  /** The key set in use; call `sync()` first. */
  get keySet(): KeySet {
    if (this.state === undefined) throw new TypeError('KeyManager.sync() has not run yet');
    return this.state.keySet;
  }

  /**
   * Brings the keys up to date: loads them (creating the first key when none is stored), rotates
   * when the current key is older than the rotation period, drops retired keys past retention.
   * Returns true when the key set differs from before the call. Safe to call periodically.
   */
  async sync(): Promise<boolean> {
    const before = this.state?.version;
    for (let attempt = 0; ; attempt++) {
      const stored = await this.load();
      const now = this.now();
      let next: KeySet | undefined;
      if (stored === undefined) next = { keys: [await this.generate(now)] };
      else {
        const current = stored.keySet.keys[0];
        if (current === undefined || now - current.createdAt >= this.rotationPeriodMs)
          next = await this.rotated(stored.keySet, now);
        else {
          const pruned = this.pruned(stored.keySet, now);
          if (pruned.keys.length !== stored.keySet.keys.length) next = pruned;
        }
      }
      if (next === undefined) {
        this.state = stored;
        return stored?.version !== before;
      }
      try {
        const version = await this.store.save(next, stored?.version);
        this.state = { keySet: next, version };
        return true;
      } catch (err) {
        if (err instanceof OidcError && err.code === 'ERR_OIDC_KEYS_CONFLICT' && attempt < 3)
          continue;
        throw err;
      }
    }
  }

  /** Rotates now: a new current key; the old one stays published for `retentionMs`. */
  async rotate(): Promise<KeySet> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.load();
      const now = this.now();
      const next =
        stored === undefined
          ? { keys: [await this.generate(now)] }
          : await this.rotated(stored.keySet, now);
      try {
        const version = await this.store.save(next, stored?.version);
        this.state = { keySet: next, version };
        return next;
      } catch (err) {
        if (err instanceof OidcError && err.code === 'ERR_OIDC_KEYS_CONFLICT' && attempt < 3)
          continue;
        throw err;
      }
    }
  }

  private async load(): Promise<StoredKeySet | undefined> {
    try {
      return await this.store.load();
    } catch (err) {
      if (err instanceof OidcError) throw err;
      throw new OidcError('ERR_OIDC_KEYS', 'failed to load signing keys', { cause: err });
    }
  }

  private async rotated(set: KeySet, now: number): Promise<KeySet> {
    const fresh = await this.generate(now);
    const retired = set.keys.map((k, i) => (i === 0 ? { ...k, retiredAt: now } : k));
    return this.pruned({ keys: [fresh, ...retired] }, now);
  }

  private pruned(set: KeySet, now: number): KeySet {
    return {
      keys: set.keys.filter((k, i) => i === 0 || (k.retiredAt ?? now) + this.retentionMs > now),
    };
  }
}

/** A KeyStore in process memory (tests, and local runs that need no persistence). */
export class MemoryKeyStore implements KeyStore {
  private text: string | undefined;
  private version = 0;

  load(): Promise<StoredKeySet | undefined> {
    if (this.text === undefined) return Promise.resolve(undefined);
    return Promise.resolve({ keySet: decodeKeySet(this.text), version: String(this.version) });
  }

  save(keySet: KeySet, expectedVersion: string | undefined): Promise<string> {
    const current = this.text === undefined ? undefined : String(this.version);
    if (current !== expectedVersion)
      return Promise.reject(
        new OidcError(
          'ERR_OIDC_KEYS_CONFLICT',
          'failed to save signing keys: they changed meanwhile',
        ),
      );
    this.text = encodeKeySet(keySet);
    this.version++;
    return Promise.resolve(String(this.version));
  }
}
