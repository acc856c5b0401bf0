/**
 * Verification of tokens an external OpenID provider issued (the bundled argocd-dex-server or the
 * provider of `oidc.config`), in this order, every check before any trust:
 *
 * 1. size and shape (three base64url parts, at most 16 KiB);
 * 2. the header's `alg` against an allow-list of asymmetric algorithms (RS/PS/ES/EdDSA), before any
 *    key work: `none` and `HS*` are refused outright, so a token "signed" with the provider's public
 *    key as an HMAC secret cannot pass (the classic key-confusion attack), and `crit` is refused;
 * 3. the signature against the provider's JWKS (OidcKeySet: cached, refetched with a cooldown);
 *    RSA keys under 2048 bits are refused by jose;
 * 4. `iss` exactly equal to the configured issuer;
 * 5. `exp` (required) and `nbf`/`iat` with a small clock skew;
 * 6. `aud`: when present, one of the allowed audiences must be in it (and with several audiences,
 *    `azp` too, when given); when absent, refused unless `skipAudienceCheckWhenTokenHasNoAudience`
 *    (CVE-2023-22482: tokens the same provider issued for other applications are not ours);
 * 7. the nonce, when the caller expects one (the login callback);
 * 8. revocation: the token's id (`jti`, else Entra's `uti`, else Dex's `at_hash`, else a hash of the
 *    token) must not be in the revocation store (logout).
 *
 * `AuthError` codes: `ERR_AUTH_TOKEN_INVALID` (shape, alg, signature, issuer, audience, nonce),
 * `ERR_AUTH_TOKEN_EXPIRED`, `ERR_AUTH_TOKEN_NOT_YET_VALID`, `ERR_AUTH_TOKEN_REVOKED`,
 * `ERR_AUTH_STORE` (the keys could not be fetched).
 */
import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { isRecord } from '../lib/index.js';
import { AuthError } from './errors.js';
import { OidcKeySet, type OidcFetch } from './oidc-jwks.js';
import { safeEqual } from './oidc-state.js';
import { systemClock, type Clock, type RevocationStore } from './ports.js';

/** Asymmetric JWS algorithms an external token may use; nothing else is ever accepted. */
export const OIDC_ALLOWED_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
export const OIDC_CLOCK_SKEW_MS = 10_000;
const MAX_TOKEN_CHARS = 16 * 1024;
/** signature results kept per verifier (raw token → verified payload) */
const SIGNATURE_CACHE_SIZE = 10_000;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export interface OidcVerifierOptions {
  /** the provider's issuer, compared exactly with `iss` */
  readonly issuer: string;
  /** the provider's `jwks_uri` */
  readonly jwksUri: string;
  /** audiences a token may be for (the client ids by default: the caller decides) */
  readonly allowedAudiences: readonly string[];
  readonly skipAudienceCheckWhenTokenHasNoAudience?: boolean;
  /**
   * algorithms to accept (the provider's `id_token_signing_alg_values_supported`); anything outside
   * `OIDC_ALLOWED_ALGORITHMS` is dropped; default `['RS256']` (OpenID Connect's default)
   */
  readonly algorithms?: readonly string[];
  readonly clockSkewMs?: number;
}

export interface OidcVerifierDeps {
  readonly fetch: OidcFetch;
  readonly clock?: Clock;
  /** logout revocations (shared with local tokens) */
  readonly revocations?: RevocationStore;
  /** JWKS fetch tuning (see OidcKeySet) */
  readonly jwks?: {
    readonly timeoutMs?: number;
    readonly maxAgeMs?: number;
    readonly cooldownMs?: number;
  };
}

/** A verified external token. */
export interface VerifiedOidcToken {
  readonly token: string;
  /** the verified claims (an untrusted shape: read them as `unknown`) */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly expiresAtMs: number;
  readonly issuedAtMs: number | undefined;
  /** the id logout revokes: `jti`, `uti`, `at_hash`, or `sha256:<hash of the token>` */
  readonly revocationId: string;
  /** true only when `allowExpired` let an expired token through (for a server-side refresh) */
  readonly expired: boolean;
}

export interface OidcVerifyOptions {
  /** the nonce the login put in the authorization request */
  readonly nonce?: string;
  /**
   * accept a token whose `exp` has passed (its signature, issuer and audience still checked), so
   * the server can renew the session with a refresh token it holds; `expired` tells
   */
  readonly allowExpired?: boolean;
}

/**
 * The id logout revokes for a token: `jti`, else `uti` (Entra ID), else `at_hash` (Dex), else a
 * SHA-256 of the token itself (argocd-ts: every token is revocable).
 */
export function oidcRevocationId(claims: Readonly<Record<string, unknown>>, token: string): string {
  for (const k of ['jti', 'uti', 'at_hash'] as const) {
    const v = claims[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('base64url')}`;
}

function invalid(why: string, cause?: unknown): AuthError {
  return new AuthError(
    'ERR_AUTH_TOKEN_INVALID',
    `failed to verify token: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

function numericDate(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Verifies tokens of one provider; see the module comment. */
export class OidcTokenVerifier {
  readonly issuer: string;
  readonly allowedAudiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly keys: OidcKeySet;
  readonly #skipNoAud: boolean;
  readonly #algorithmList: string[];
  readonly #skewMs: number;
  readonly #clock: Clock;
  readonly #revocations: RevocationStore | undefined;
  /**
   * Only the signature result is cached (the RSA check costs ~100 µs per request); issuer, time,
   * audience, nonce and revocation are checked on every call. Cleared when the key set changes, so
   * a key the provider withdrew stops verifying at the next JWKS refresh.
   */
  readonly #signatures = new Map<string, { generation: number; claims: Record<string, unknown> }>();

  constructor(options: OidcVerifierOptions, deps: OidcVerifierDeps) {
    if (options.issuer === '') throw new TypeError('OidcVerifierOptions.issuer is required');
    this.issuer = options.issuer;
    this.allowedAudiences = Object.freeze([...new Set(options.allowedAudiences.filter(Boolean))]);
    const algs = (options.algorithms ?? ['RS256']).filter((a) =>
      OIDC_ALLOWED_ALGORITHMS.includes(a),
    );
    this.algorithms = Object.freeze(algs.length > 0 ? algs : ['RS256']);
    this.#algorithmList = [...this.algorithms];
    this.#skipNoAud = options.skipAudienceCheckWhenTokenHasNoAudience ?? false;
    this.#skewMs = options.clockSkewMs ?? OIDC_CLOCK_SKEW_MS;
    this.#clock = deps.clock ?? systemClock;
    this.#revocations = deps.revocations;
    this.keys = new OidcKeySet({
      jwksUri: options.jwksUri,
      fetch: deps.fetch,
      clock: this.#clock,
      ...deps.jwks,
    });
  }

  /** Verifies `token`; throws AuthError (see the module comment). */
  async verify(token: string, options: OidcVerifyOptions = {}): Promise<VerifiedOidcToken> {
    if (token.length > MAX_TOKEN_CHARS) throw invalid('the token is too large');
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p)))
      throw invalid('not a signed JSON Web Token');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch (err) {
      throw invalid('the token header is not valid', err);
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.algorithms.includes(alg))
      throw invalid(
        `algorithm ${typeof alg === 'string' ? JSON.stringify(alg) : '(none)'} is not allowed for tokens of ${this.issuer} (allowed: ${this.algorithms.join(', ')})`,
      );
    if (header.crit !== undefined) throw invalid('the token header has "crit" parameters');
    // a token of another issuer is refused before any key is fetched for it
    let peeked: unknown;
    try {
      peeked = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    } catch (err) {
      throw invalid('the token payload is not JSON', err);
    }
    if (!isRecord(peeked)) throw invalid('the token payload is not a JSON object');
    if (peeked.iss !== this.issuer) throw invalid(`the token was not issued by ${this.issuer}`);

    const claims = await this.#verifiedPayload(token, peeked);

    if (claims.iss !== this.issuer) throw invalid(`the token was not issued by ${this.issuer}`);
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub === '') throw invalid('the token has no subject');

    const now = this.#clock.now();
    const exp = numericDate(claims.exp);
    if (exp === undefined) throw invalid('the token has no expiry (exp)');
    const expired = now >= exp * 1000 + this.#skewMs;
    if (expired && options.allowExpired !== true)
      throw new AuthError('ERR_AUTH_TOKEN_EXPIRED', 'failed to verify token: token is expired');
    const nbf = numericDate(claims.nbf);
    if (nbf !== undefined && nbf * 1000 > now + this.#skewMs)
      throw new AuthError(
        'ERR_AUTH_TOKEN_NOT_YET_VALID',
        'failed to verify token: token is not valid yet',
      );
    const iat = numericDate(claims.iat);
    if (iat !== undefined && iat * 1000 > now + this.#skewMs)
      throw new AuthError(
        'ERR_AUTH_TOKEN_NOT_YET_VALID',
        'failed to verify token: token was issued in the future',
      );

    const audiences = this.#checkAudience(claims);

    if (options.nonce !== undefined) {
      const nonce = claims.nonce;
      if (typeof nonce !== 'string' || !safeEqual(nonce, options.nonce))
        throw invalid('the nonce does not match the login');
    }

    const revocationId = oidcRevocationId(claims, token);
    if (this.#revocations && (await this.#revocations.isRevoked(revocationId)))
      throw new AuthError('ERR_AUTH_TOKEN_REVOKED', 'failed to verify token: token is revoked');

    return {
      token,
      claims,
      issuer: this.issuer,
      subject: sub,
      audiences,
      expiresAtMs: exp * 1000,
      issuedAtMs: iat === undefined ? undefined : iat * 1000,
      revocationId,
      expired,
    };
  }

  /** `peeked` was decoded from the payload segment the signature covers (no `b64: false`). */
  async #verifiedPayload(
    token: string,
    peeked: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    await this.keys.ensureFresh();
    const cached = this.#signatures.get(token);
    if (cached !== undefined && cached.generation === this.keys.generation) return cached.claims;
    try {
      await compactVerify(token, this.keys.getKey, { algorithms: this.#algorithmList });
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof joseErrors.JWKSNoMatchingKey)
        throw invalid('no key of the identity provider matches the token', err);
      if (err instanceof joseErrors.JOSEError) throw invalid('the signature is not valid', err);
      throw invalid('the signature could not be checked', err);
    }
    const frozen = Object.freeze(peeked);
    if (this.#signatures.size >= SIGNATURE_CACHE_SIZE) {
      const oldest = this.#signatures.keys().next();
      if (oldest.done !== true) this.#signatures.delete(oldest.value);
    }
    this.#signatures.set(token, { generation: this.keys.generation, claims: frozen });
    return frozen;
  }

  #checkAudience(claims: Record<string, unknown>): string[] {
    const aud = claims.aud;
    const list =
      typeof aud === 'string'
        ? [aud]
        : Array.isArray(aud)
          ? aud.filter((a) => typeof a === 'string')
          : [];
    if (aud === undefined || list.length === 0) {
      if (aud !== undefined && !(Array.isArray(aud) && aud.length === 0))
        throw invalid('the audience (aud) is malformed');
      if (this.#skipNoAud) return [];
      throw invalid(
        'the token has no audience (aud); set skipAudienceCheckWhenTokenHasNoAudience: true in oidc.config to accept such tokens',
      );
    }
    if (this.allowedAudiences.length === 0)
      throw invalid('no allowed audiences are configured (allowedAudiences / clientID)');
    const match = list.find((a) => this.allowedAudiences.includes(a));
    if (match === undefined)
      throw invalid(
        `the token is for ${JSON.stringify(list)}, not for one of the allowed audiences`,
      );
    const azp = claims.azp;
    if (list.length > 1 && typeof azp === 'string' && !this.allowedAudiences.includes(azp))
      throw invalid('the authorized party (azp) is not one of the allowed audiences');
    return list;
  }
}
