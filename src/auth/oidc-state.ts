/**
 * The state of one SSO login between `/auth/login` and `/auth/callback`, kept by the browser in the
 * `argocd.oauthstate` cookie, sealed with AES-256-GCM so it can be neither read nor forged:
 *
 * - the key is scrypt(`server.secretkey`) (Argo CD derives its state key the same way), so every
 *   replica can open what another sealed and a new `server.secretkey` voids pending logins;
 * - the payload holds the OAuth `state`, the OpenID `nonce`, the PKCE verifier, the return URL and the
 *   redirect URI used, and an expiry (5 minutes); the additional data binds it to its cookie name;
 * - every random value comes from the CSPRNG (CVE-2022-31034 was a weak generator).
 *
 * Pure crypto: no HTTP types. The server reads and writes the cookie.
 */
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from 'node:crypto';
import { isRecord } from '../lib/index.js';
import { AuthError } from './errors.js';
import type { Clock } from './ports.js';
import { systemClock } from './ports.js';

/** Name of the cookie that carries the sealed login state (Argo CD's). */
export const OAUTH_STATE_COOKIE = 'argocd.oauthstate';
/** How long a started login may take (Argo CD: 5 minutes). */
export const OAUTH_STATE_TTL_MS = 5 * 60_000;
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from(OAUTH_STATE_COOKIE, 'utf8');
/** Sealed cookies larger than this are refused before any crypto (a cookie is at most 4 KiB). */
const MAX_SEALED_CHARS = 4096;

/** What one login carries from `/auth/login` to `/auth/callback`. */
export interface OAuthLoginState {
  /** the OAuth `state` sent to the provider (compared on return) */
  readonly state: string;
  /** the OpenID `nonce` the ID token must carry */
  readonly nonce: string;
  /** the PKCE code verifier (empty when PKCE is off) */
  readonly codeVerifier: string;
  /** where to send the browser after the login */
  readonly returnUrl: string;
  /** the redirect URI the authorization request named (the code exchange repeats it) */
  readonly redirectUri: string;
  /** ms since the epoch after which the state is refused */
  readonly expiresAtMs: number;
}

/** A sealing key derived from `server.secretkey`. */
export interface OAuthStateKey {
  readonly key: Buffer;
}

/**
 * Derives the state-sealing key from `server.secretkey` (scrypt N=2^15, r=8, p=1; runs on the libuv
 * pool, about 100 ms: derive once per key, not per request).
 * @example
 * const key = await deriveOAuthStateKey(secretData['server.secretkey']);
 */
export async function deriveOAuthStateKey(serverSecretKey: string): Promise<OAuthStateKey> {
  if (serverSecretKey === '') throw new TypeError('server.secretkey must not be empty');
  const key = await new Promise<Buffer>((resolve, reject) => {
    scryptCb(
      serverSecretKey,
      'argocd-ts oauth state v1',
      32,
      { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 },
      (err, derived) => {
        if (err) reject(err);
        else resolve(derived);
      },
    );
  });
  return { key };
}

/**
 * A URL-safe random string from the CSPRNG (`bytes` random bytes, base64url: 24 bytes give 32
 * characters, 192 bits).
 */
export function randomUrlToken(bytes = 24): string {
  if (!Number.isInteger(bytes) || bytes < 16)
    throw new TypeError('randomUrlToken needs >= 16 bytes');
  return randomBytes(bytes).toString('base64url');
}

/** Seals bytes with AES-256-GCM under `key` (`iv | ciphertext | tag`, base64url). */
export function sealBytes(key: OAuthStateKey, plain: Buffer, aad: Buffer = AAD): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** Opens what `sealBytes` sealed; undefined when it was not sealed by `key` (or was altered). */
export function openBytes(
  key: OAuthStateKey,
  sealed: string,
  aad: Buffer = AAD,
): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES + 1) return undefined;
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    // authentication failed: altered, truncated or sealed under another key
    return undefined;
  }
}

/**
 * Starts a login: fresh `state`, `nonce` and PKCE verifier (43+ characters, RFC 7636) from the
 * CSPRNG, and the sealed cookie value that carries them.
 * @example
 * const { login, cookieValue } = newOAuthLogin(key, { returnUrl, redirectUri, pkce: true });
 */
export function newOAuthLogin(
  key: OAuthStateKey,
  input: { readonly returnUrl: string; readonly redirectUri: string; readonly pkce: boolean },
  clock: Clock = systemClock,
): { login: OAuthLoginState; cookieValue: string } {
  const login: OAuthLoginState = {
    state: randomUrlToken(24),
    nonce: randomUrlToken(24),
    codeVerifier: input.pkce ? randomUrlToken(48) : '',
    returnUrl: input.returnUrl,
    redirectUri: input.redirectUri,
    expiresAtMs: clock.now() + OAUTH_STATE_TTL_MS,
  };
  return { login, cookieValue: sealOAuthState(key, login) };
}

/** Seals a login state for the cookie. */
export function sealOAuthState(key: OAuthStateKey, login: OAuthLoginState): string {
  const json = JSON.stringify({
    v: VERSION,
    s: login.state,
    n: login.nonce,
    c: login.codeVerifier,
    r: login.returnUrl,
    u: login.redirectUri,
    e: login.expiresAtMs,
  });
  return sealBytes(key, Buffer.from(json, 'utf8'));
}

/**
 * Opens the cookie and checks the `state` the provider sent back. Throws `AuthError`
 * `ERR_AUTH_TOKEN_INVALID` when the cookie is missing, altered, sealed under another key, expired,
 * or its state differs from `returnedState` (a forged callback: CSRF).
 */
export function openOAuthState(
  key: OAuthStateKey,
  cookieValue: string | undefined,
  returnedState: string | undefined,
  clock: Clock = systemClock,
): OAuthLoginState {
  const fail = (why: string): never => {
    throw new AuthError('ERR_AUTH_TOKEN_INVALID', `failed to finish the login: ${why}`);
  };
  if (cookieValue === undefined || cookieValue === '')
    return fail(
      'the login state cookie is missing (the login took too long, or did not start here); start again',
    );
  if (cookieValue.length > MAX_SEALED_CHARS) return fail('the login state cookie is malformed');
  const plain = openBytes(key, cookieValue);
  if (plain === undefined) return fail('the login state cookie is not valid; start again');
  let o: unknown;
  try {
    o = JSON.parse(plain.toString('utf8'));
  } catch {
    return fail('the login state cookie is not valid; start again');
  }
  if (
    !isRecord(o) ||
    o.v !== VERSION ||
    typeof o.s !== 'string' ||
    typeof o.n !== 'string' ||
    typeof o.c !== 'string' ||
    typeof o.r !== 'string' ||
    typeof o.u !== 'string' ||
    typeof o.e !== 'number'
  )
    return fail('the login state cookie is not valid; start again');
  if (clock.now() > o.e) return fail('the login took longer than 5 minutes; start again');
  if (returnedState === undefined || !safeEqual(returnedState, o.s))
    return fail('the state returned by the identity provider does not match this login');
  return {
    state: o.s,
    nonce: o.n,
    codeVerifier: o.c,
    returnUrl: o.r,
    redirectUri: o.u,
    expiresAtMs: o.e,
  };
}

/** Constant-time string comparison (length differences return false early; lengths are public). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
