/**
 * Server-side renewal of SSO sessions (beyond Argo CD, whose OIDC refresh did not work until 3.3):
 * at the callback the provider's refresh token is sealed (AES-256-GCM, key from `server.secretkey`)
 * and stored server-side only (memory or the auth Redis), keyed by the session: `sid` when the ID
 * token has one, else its revocation id. When a request's ID token expires within
 * `refreshTokenThreshold` (or has expired, signature and audience still valid), the server redeems
 * the refresh token, verifies the new ID token (same issuer, same subject), stores the rotated
 * refresh token and sends the new ID token back as the cookie. Concurrent requests of one session
 * share one refresh; stragglers still carrying the old token for a minute get the same result.
 * Logout deletes the refresh token.
 */
import { createHash } from 'node:crypto';
import * as oidcClient from 'openid-client';
import {
  openBytes,
  sealBytes,
  type Clock,
  type OAuthStateKey,
  type RefreshTokenStore,
  type VerifiedOidcToken,
} from '../../auth/index.js';
import { errorMessage } from '../../lib/index.js';
import type { ServerLogger } from '../logging.js';
import type { DiscoveredProvider } from './provider.js';

/** How long a refresh token is kept without use (Dex's default absolute lifetime). */
export const REFRESH_TOKEN_KEEP_MS = 30 * 24 * 3600_000;
const STRAGGLER_MS = 60_000;
const AAD = Buffer.from('argocd-ts oidc refresh token', 'utf8');

/** The key a session's refresh token is stored under. */
export function sessionKey(v: VerifiedOidcToken): string {
  const sid = v.claims.sid;
  const id = typeof sid === 'string' && sid !== '' ? `sid:${sid}` : `rid:${v.revocationId}`;
  return createHash('sha256').update(`${v.issuer}|${v.subject}|${id}`, 'utf8').digest('base64url');
}

export class SsoSessions {
  readonly #store: RefreshTokenStore;
  readonly #clock: Clock;
  readonly #log: ServerLogger;
  readonly #inFlight = new Map<string, Promise<VerifiedOidcToken | undefined>>();
  readonly #recent = new Map<string, { atMs: number; result: VerifiedOidcToken }>();

  constructor(store: RefreshTokenStore, clock: Clock, log: ServerLogger) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
  }

  /** Keeps the refresh token of a fresh login. */
  async remember(v: VerifiedOidcToken, refreshToken: string, key: OAuthStateKey): Promise<void> {
    await this.#store.set(
      sessionKey(v),
      sealBytes(key, Buffer.from(refreshToken, 'utf8'), AAD),
      this.#clock.now() + REFRESH_TOKEN_KEEP_MS,
    );
  }

  /** Drops the session's refresh token (logout). */
  async forget(v: VerifiedOidcToken): Promise<void> {
    await this.#store.delete(sessionKey(v));
  }

  /**
   * A renewed, verified ID token for the session of `v`, or undefined when there is no refresh
   * token or the provider refused (then the refresh token is dropped).
   */
  renew(
    v: VerifiedOidcToken,
    provider: DiscoveredProvider,
    key: OAuthStateKey,
  ): Promise<VerifiedOidcToken | undefined> {
    const k = sessionKey(v);
    const recent = this.#recent.get(k);
    if (recent !== undefined && this.#clock.now() - recent.atMs < STRAGGLER_MS)
      return Promise.resolve(recent.result);
    let p = this.#inFlight.get(k);
    if (p === undefined) {
      p = this.#renew(k, v, provider, key).finally(() => {
        this.#inFlight.delete(k);
      });
      this.#inFlight.set(k, p);
    }
    return p;
  }

  async #renew(
    k: string,
    v: VerifiedOidcToken,
    provider: DiscoveredProvider,
    key: OAuthStateKey,
  ): Promise<VerifiedOidcToken | undefined> {
    const sealed = await this.#store.get(k);
    if (sealed === undefined) return undefined;
    const refreshToken = openBytes(key, sealed, AAD)?.toString('utf8');
    if (refreshToken === undefined) {
      await this.#store.delete(k);
      return undefined;
    }
    let next: VerifiedOidcToken;
    let rotated: string | undefined;
    try {
      const res = await oidcClient.refreshTokenGrant(provider.client, refreshToken);
      if (res.id_token === undefined) throw new Error('the provider returned no ID token');
      next = await provider.verifier.verify(res.id_token);
      if (next.subject !== v.subject)
        throw new Error('the refreshed ID token is for another subject');
      rotated = res.refresh_token;
    } catch (err) {
      this.#log.warn(
        { issuer: v.issuer, subject: v.subject, err: errorMessage(err) },
        'SSO session could not be renewed with its refresh token; the user logs in again when the token expires',
      );
      await this.#store.delete(k);
      return undefined;
    }
    const nk = sessionKey(next);
    await this.#store.set(
      nk,
      sealBytes(key, Buffer.from(rotated ?? refreshToken, 'utf8'), AAD),
      this.#clock.now() + REFRESH_TOKEN_KEEP_MS,
    );
    if (nk !== k) await this.#store.delete(k);
    const now = this.#clock.now();
    for (const [rk, r] of this.#recent) if (now - r.atMs >= STRAGGLER_MS) this.#recent.delete(rk);
    this.#recent.set(k, { atMs: now, result: next });
    this.#log.info(
      { issuer: v.issuer, subject: v.subject },
      'SSO session renewed with its refresh token',
    );
    return next;
  }
}
