/**
 * Where a request carries its token, without any HTTP framework types: the server hands over the
 * gRPC metadata, the `Authorization` header and the parsed cookies, and writes back the
 * `Set-Cookie` values built here.
 *
 * Precedence is Argo CD's (`server/server.go getToken`): gRPC metadata `token`, then
 * `Authorization: Bearer`, then the `argocd.token` cookie. Tokens longer than a cookie can hold
 * are split as Argo CD splits them: `argocd.token=<n>:<part0>`, `argocd.token-1=<part1>`, ... at
 * most 20 cookies of at most 4093 bytes each.
 */
import { AuthError } from './errors.js';

/** Argo CD's session cookie name. */
export const AUTH_COOKIE_NAME = 'argocd.token';
/** Most cookies a token may be split into (Argo CD's `ARGOCD_MAX_COOKIE_NUMBER` default). */
export const MAX_COOKIE_CHUNKS = 20;
/** Longest `name=value; attributes` string per cookie (Argo CD's `maxCookieLength`). */
export const MAX_COOKIE_LENGTH = 4093;

export type TokenSource = 'grpc-metadata' | 'bearer' | 'cookie';

export interface TokenCarriers {
  /** gRPC metadata (lower-case keys); the `token` entry is read */
  readonly grpcMetadata?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** the `Authorization` header */
  readonly authorization?: string;
  /** request cookies by name (see `parseCookieHeader`) */
  readonly cookies?: Readonly<Record<string, string | undefined>>;
}

export interface CookieOptions {
  /** cookie path: `/` plus the server's `--basehref` (default `/`) */
  readonly path?: string;
  /** `--insecure`: the server is plain HTTP behind a proxy, so no `Secure` attribute */
  readonly insecure?: boolean;
  /** omit for a session cookie (Argo CD's behaviour) */
  readonly maxAgeSeconds?: number;
  readonly name?: string;
}

const CHUNK_NAME = /^(.+)-(\d+)$/;

function cookieError(reason: string): AuthError {
  return new AuthError('ERR_AUTH_TOKEN_INVALID', `failed to read the token cookie: ${reason}`);
}

/**
 * Parses a `Cookie` request header into name → value (first occurrence wins; values are not
 * URL-decoded, as Go's net/http does not decode them either).
 */
export function parseCookieHeader(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (name !== '' && !Object.hasOwn(out, name)) out[name] = value;
  }
  return out;
}

/**
 * Joins the (possibly split) token cookie. Returns undefined when there is no such cookie; throws
 * ERR_AUTH_TOKEN_INVALID for a malformed split (bad count, more than 20 chunks, a chunk missing).
 */
export function joinTokenCookies(
  cookies: Readonly<Record<string, string | undefined>>,
  name: string = AUTH_COOKIE_NAME,
): string | undefined {
  const first = cookies[name];
  if (first === undefined || first === '') return undefined;
  const parts = first.split(':');
  if (parts.length === 1) return first;
  if (parts.length !== 2 || !/^\d{1,2}$/.test(parts[0] ?? ''))
    throw cookieError(`${name} is neither a token nor <count>:<token>`);
  const count = Number(parts[0]);
  if (count < 1 || count > MAX_COOKIE_CHUNKS)
    throw cookieError(`a token is split into 1 to ${MAX_COOKIE_CHUNKS} cookies, not ${count}`);
  let token = parts[1] ?? '';
  for (let i = 1; i < count; i++) {
    const chunk = cookies[`${name}-${i}`];
    if (chunk === undefined || chunk === '') throw cookieError(`cookie ${name}-${i} is missing`);
    token += chunk;
  }
  return token;
}

function firstValue(v: string | readonly string[] | undefined): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (v === undefined) return undefined;
  return v.find((x) => x !== '');
}

/**
 * Finds the request's token: gRPC metadata `token`, else `Authorization: Bearer <token>` (scheme
 * case-insensitive), else the `argocd.token` cookie (joined from its chunks). Undefined when the
 * request carries none.
 * @example
 * const found = extractToken({ authorization: req.headers.authorization, cookies: req.cookies });
 * if (found) claims = await sessions.verifyToken(found.token);
 */
export function extractToken(
  carriers: TokenCarriers,
): { readonly token: string; readonly source: TokenSource } | undefined {
  const fromMetadata = firstValue(carriers.grpcMetadata?.token);
  if (fromMetadata !== undefined) return { token: fromMetadata, source: 'grpc-metadata' };
  const auth = carriers.authorization?.trim();
  if (auth !== undefined) {
    const m = /^bearer\s+(\S+)$/i.exec(auth);
    if (m?.[1] !== undefined) return { token: m[1], source: 'bearer' };
  }
  if (carriers.cookies) {
    const token = joinTokenCookies(carriers.cookies);
    if (token !== undefined) return { token, source: 'cookie' };
  }
  return undefined;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function attributes(options: CookieOptions): string {
  const path = options.path ?? '/';
  if (!path.startsWith('/') || /[;\s]/.test(path) || hasControlCharacter(path))
    throw new TypeError(`cookie path "${path}" must start with / and contain no ; or whitespace`);
  const attrs = [`Path=${path}`, 'SameSite=Lax', 'HttpOnly'];
  if (options.maxAgeSeconds !== undefined) {
    if (!Number.isInteger(options.maxAgeSeconds))
      throw new TypeError('maxAgeSeconds must be whole');
    attrs.push(`Max-Age=${options.maxAgeSeconds}`);
  }
  if (options.insecure !== true) attrs.push('Secure');
  return attrs.join('; ');
}

/**
 * The `Set-Cookie` values that carry `token`: one cookie when it fits, else Argo CD's split
 * format. Attributes: `Path`, `SameSite=Lax`, `HttpOnly`, and `Secure` unless `insecure`.
 * Throws ERR_AUTH_INVALID_ARGUMENT when even 20 cookies cannot hold the token.
 * @example
 * reply.header('set-cookie', cookieChunks(token, { path: '/', insecure: options.insecure }));
 */
export function cookieChunks(token: string, options: CookieOptions = {}): string[] {
  const name = options.name ?? AUTH_COOKIE_NAME;
  if (!/^[A-Za-z0-9._~+/=-]+$/.test(token))
    throw new TypeError('a token in a cookie may only contain URL-safe characters');
  const attrs = attributes(options);
  if (name.length + 1 + token.length + 2 + attrs.length <= MAX_COOKIE_LENGTH)
    return [`${name}=${token}; ${attrs}`];
  // Room for the longest name (`<name>-19=`) and the count prefix (`20:`) on every chunk.
  const room = MAX_COOKIE_LENGTH - (name.length + 4) - 3 - (attrs.length + 2);
  const count = Math.ceil(token.length / room);
  if (count > MAX_COOKIE_CHUNKS)
    throw new AuthError(
      'ERR_AUTH_INVALID_ARGUMENT',
      `failed to set the token cookie: the token is ${token.length} characters long and needs ${count} cookies, more than ${MAX_COOKIE_CHUNKS}`,
    );
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const part = token.slice(i * room, (i + 1) * room);
    out.push(i === 0 ? `${name}=${count}:${part}; ${attrs}` : `${name}-${i}=${part}; ${attrs}`);
  }
  return out;
}

/**
 * `Set-Cookie` values that delete every token cookie the request carried (logout), with the same
 * path and flags they were set with.
 */
export function clearTokenCookies(
  cookies: Readonly<Record<string, string | undefined>>,
  options: CookieOptions = {},
): string[] {
  const name = options.name ?? AUTH_COOKIE_NAME;
  const attrs = attributes({ ...options, maxAgeSeconds: 0 });
  return Object.keys(cookies)
    .filter((n) => n === name || CHUNK_NAME.exec(n)?.[1] === name)
    .map((n) => `${n}=; ${attrs}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`);
}
