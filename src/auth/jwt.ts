/**
 * HS256 JSON Web Tokens, the only kind the API server signs itself.
 *
 * Signing goes through jose. Verification is an HMAC fast path with jose's semantics for this one
 * algorithm (a `jose.jwtVerify` costs ~60 µs, the whole per-request auth budget is 10 µs):
 * - the header must be a JSON object with `alg` exactly `HS256`; `none`, `HS384`, `RS256` and every
 *   other value are refused before any key work, as are `crit` (no extension is understood) and
 *   `b64: false`; `typ`, when present, must be `JWT`;
 * - the signature must be exactly 32 bytes of canonical base64url and equal the HMAC-SHA256 of
 *   the signing input under the key (`timingSafeEqual`);
 * - the payload must be a JSON object whose registered claims have the right types.
 * Claim rules (issuer, expiry, jti, revocation, accounts) are the session manager's.
 * `jwt.test.ts` checks every accept/refuse decision against `jose.jwtVerify`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { isRecord } from '../lib/index.js';

/** The only algorithm accepted. */
export const TOKEN_ALGORITHM = 'HS256';

/** Longest token the fast path reads (ours are ~250 bytes; this bounds work on garbage). */
export const MAX_TOKEN_BYTES = 8192;

/** Registered claims of a token signed by the API server (values are NumericDate seconds). */
export interface TokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly iat: number;
  readonly nbf?: number;
  readonly exp?: number;
  readonly jti?: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Why `decodeHs256` refused a token: forged (`algorithm`, `signature`) or just broken. */
export type Hs256Failure = 'malformed' | 'algorithm' | 'signature' | 'claims';

/** The outcome of `decodeHs256`: claims, or why not (the message names no secret). */
export type Hs256Result =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly failure: Hs256Failure; readonly message: string };

class Refused extends Error {
  readonly failure: Hs256Failure;

  constructor(failure: Hs256Failure, message: string) {
    super(message);
    this.failure = failure;
  }
}

function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new Refused('malformed', `the ${what} is not base64url-encoded JSON`);
  }
  if (!isRecord(value) || Array.isArray(value))
    throw new Refused('malformed', `the ${what} is not a JSON object`);
  return value;
}

function numericDate(payload: Record<string, unknown>, name: string): number | undefined {
  const v = payload[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Refused('claims', `claim "${name}" is not a number`);
  return v;
}

function stringClaim(payload: Record<string, unknown>, name: string): string | undefined {
  const v = payload[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Refused('claims', `claim "${name}" is not a string`);
  return v;
}

function decode(token: string, key: Uint8Array): TokenClaims {
  if (token.length > MAX_TOKEN_BYTES) throw new Refused('malformed', 'the token is too long');
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1)
    throw new Refused('malformed', 'it does not have three dot-separated parts');
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  const signaturePart = token.slice(second + 1);
  if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart))
    throw new Refused('malformed', 'a part is not base64url');

  const header = decodeJsonSegment(headerPart, 'header');
  if (header.alg !== TOKEN_ALGORITHM) {
    const alg = typeof header.alg === 'string' ? header.alg.slice(0, 16) : typeof header.alg;
    throw new Refused('algorithm', `algorithm "${alg}" is not allowed, only ${TOKEN_ALGORITHM}`);
  }
  if (header.crit !== undefined) throw new Refused('malformed', 'the header has "crit" extensions');
  if (header.b64 !== undefined) throw new Refused('malformed', 'the header has "b64"');
  if (header.typ !== undefined && header.typ !== 'JWT')
    throw new Refused('malformed', 'header "typ" is not JWT');

  // 32 bytes are exactly 43 base64url characters; a non-canonical spelling of the same bytes is
  // refused too, so one signature has one spelling.
  const signature = Buffer.from(signaturePart, 'base64url');
  if (signature.length !== 32 || signature.toString('base64url') !== signaturePart)
    throw new Refused('signature', 'the signature does not match');
  const expected = createHmac('sha256', key).update(token.slice(0, second), 'ascii').digest();
  if (!timingSafeEqual(expected, signature))
    throw new Refused('signature', 'the signature does not match');

  const payload = decodeJsonSegment(payloadPart, 'payload');
  const iss = stringClaim(payload, 'iss');
  const sub = stringClaim(payload, 'sub');
  const iat = numericDate(payload, 'iat');
  const nbf = numericDate(payload, 'nbf');
  const exp = numericDate(payload, 'exp');
  const jti = stringClaim(payload, 'jti');
  if (iss === undefined) throw new Refused('claims', 'claim "iss" is missing');
  if (sub === undefined || sub === '') throw new Refused('claims', 'claim "sub" is missing');
  if (iat === undefined) throw new Refused('claims', 'claim "iat" is missing');
  return {
    iss,
    sub,
    iat,
    ...(nbf !== undefined ? { nbf } : {}),
    ...(exp !== undefined ? { exp } : {}),
    ...(jti !== undefined ? { jti } : {}),
  };
}

/**
 * Checks structure, header and signature of an HS256 token and returns its claims, or why it was
 * refused. Time, issuer and revocation are not checked here (see SessionManager.verifyToken).
 * @example
 * const r = decodeHs256(raw, key);
 * if (!r.ok) throw new AuthError('ERR_AUTH_TOKEN_INVALID', `failed to verify token: ${r.message}`);
 */
export function decodeHs256(token: string, key: Uint8Array): Hs256Result {
  try {
    return { ok: true, claims: decode(token, key) };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, failure: err.failure, message: err.message };
    throw err;
  }
}

/** Signs claims with HS256 (header `{"alg":"HS256","typ":"JWT"}`, as golang-jwt writes it). */
export async function signHs256(claims: TokenClaims, key: Uint8Array): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'JWT' })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  if (claims.jti !== undefined) jwt.setJti(claims.jti);
  return jwt.sign(key);
}

/**
 * Reads `iss` from a token WITHOUT verifying it, only to choose the verifier (`argocd` → this
 * module, anything else → the OIDC provider), as Argo CD's `VerifyToken` does. Never trust any
 * other claim read this way (CVE-2022-29165). Returns undefined for anything unreadable.
 */
export function peekIssuer(token: string): string | undefined {
  if (token.length > 64 * 1024) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || !BASE64URL.test(parts[1])) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isRecord(payload) && typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}
