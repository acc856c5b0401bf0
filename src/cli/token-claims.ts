/**
 * Reads the claims of a stored token WITHOUT verifying it — only to decide things locally (who is
 * logged in, whether an SSO token has expired and needs a refresh, which issuer it came from).
 * The server verifies every token; nothing here grants access.
 */
import { isRecord } from '../lib/index.js';

export interface TokenClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly exp?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly email?: string;
  readonly name?: string;
}

/** The payload of a JWT, or undefined when the text is not one. */
export function readUnverifiedClaims(token: string | undefined): TokenClaims | undefined {
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!isRecord(payload)) return undefined;
    const s = (k: string): string | undefined =>
      typeof payload[k] === 'string' ? payload[k] : undefined;
    const n = (k: string): number | undefined =>
      typeof payload[k] === 'number' ? payload[k] : undefined;
    return Object.fromEntries(
      Object.entries({
        iss: s('iss'),
        sub: s('sub'),
        exp: n('exp'),
        iat: n('iat'),
        jti: s('jti'),
        email: s('email'),
        name: s('name'),
      }).filter(([, v]) => v !== undefined),
    );
  } catch {
    return undefined;
  }
}

/** The local user name of an Argo CD token subject (`admin:login` → `admin`). */
export function localUserName(claims: TokenClaims | undefined): string | undefined {
  const sub = claims?.sub;
  if (!sub) return undefined;
  const i = sub.lastIndexOf(':');
  const suffix = i === -1 ? '' : sub.slice(i + 1);
  return suffix === 'login' || suffix === 'apiKey' ? sub.slice(0, i) : sub;
}

/** Whether the token expires within `skewSeconds` (false when it has no exp). */
export function isExpired(claims: TokenClaims | undefined, now: Date, skewSeconds = 30): boolean {
  return claims?.exp !== undefined && claims.exp * 1000 <= now.getTime() + skewSeconds * 1000;
}
