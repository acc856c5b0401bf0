/**
 * The password database (Dex `staticPasswords`): checks a login against bcrypt hashes, with the
 * defences Argo CD's own login has. Every failure looks the same to the caller (no user
 * enumeration): an unknown user, a wrong password, a password longer than bcrypt's 72 bytes or
 * with a NUL byte, and a locked-out user all cost one bcrypt comparison and return `undefined`. After `maxFailures` failed
 * attempts inside `failureWindowMs`, a login name is refused without looking at the password until
 * the window passes; the table of counters is bounded and evicts a random entry when full, so
 * nobody can flush a victim's counter by flooding it (CVE-2024-21652 class).
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { StaticPassword } from './dex-config.js';

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

let dummyHash: Promise<string> | undefined;

/** A bcrypt hash of a random value, compared against when the user does not exist. */
function dummy(): Promise<string> {
  dummyHash ??= bcrypt.hash(randomBytes(18).toString('base64'), 10);
  return dummyHash;
}

export interface LoginLimiterOptions {
  /** default 5 (Argo CD `ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT`) */
  readonly maxFailures?: number;
  /** default 300 s (`ARGOCD_SESSION_FAILURE_WINDOW_SECONDS`) */
  readonly failureWindowMs?: number;
  /** default 10 000 (`ARGOCD_SESSION_MAX_CACHE_SIZE`) */
  readonly maxTracked?: number;
  readonly now?: () => number;
  /** random integer in [0, max) for eviction; default crypto randomInt */
  readonly randomIndex?: (max: number) => number;
}

interface Failures {
  count: number;
  last: number;
}

/** Counts failed logins per login name. */
export class LoginLimiter {
  private readonly failures = new Map<string, Failures>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly randomIndex: (max: number) => number;

  constructor(options: LoginLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.failureWindowMs ?? 300_000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.now = options.now ?? Date.now;
    this.randomIndex = options.randomIndex ?? ((max) => randomInt(max));
  }

  /** True when the name has used up its attempts for now. */
  isLocked(login: string): boolean {
    const f = this.failures.get(login);
    if (f === undefined) return false;
    if (this.now() - f.last > this.windowMs) {
      this.failures.delete(login);
      return false;
    }
    return f.count >= this.maxFailures;
  }

  recordFailure(login: string): void {
    const now = this.now();
    const f = this.failures.get(login);
    if (f !== undefined && now - f.last <= this.windowMs) {
      f.count++;
      f.last = now;
      return;
    }
    this.failures.delete(login);
    for (const [k, v] of this.failures) if (now - v.last > this.windowMs) this.failures.delete(k);
    if (this.failures.size >= this.maxTracked) {
      const keys = [...this.failures.keys()];
      const victim = keys[this.randomIndex(keys.length)];
      if (victim !== undefined) this.failures.delete(victim);
    }
    this.failures.set(login, { count: 1, last: now });
  }

  recordSuccess(login: string): void {
    this.failures.delete(login);
  }

  /** Number of names with failures on record (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }
}

export type LoginOutcome =
  | { readonly ok: true; readonly user: StaticPassword }
  | { readonly ok: false; readonly reason: 'invalid' | 'locked' };

/**
 * Checks `login` (an email, case-insensitive) and `password` against the static users.
 * Always performs exactly one bcrypt comparison.
 */
export async function verifyPassword(
  users: readonly StaticPassword[],
  limiter: LoginLimiter,
  login: string,
  password: string,
): Promise<LoginOutcome> {
  const name = login.trim().toLowerCase();
  const user = users.find((u) => u.email.toLowerCase() === name);
  // bcrypt silently ignores bytes after the 72nd, so a longer password could verify against a
  // shorter one's hash; NUL bytes are refused too (older native bindings stopped at them)
  const tooLong =
    Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES || password.includes('\0');
  const locked = limiter.isLocked(name);
  const hash = user !== undefined && !tooLong && !locked ? user.hash : await dummy();
  const matches = await bcrypt.compare(password, hash);
  if (locked) return { ok: false, reason: 'locked' };
  if (user === undefined || tooLong || !matches || password === '') {
    limiter.recordFailure(name);
    return { ok: false, reason: 'invalid' };
  }
  limiter.recordSuccess(name);
  return { ok: true, user };
}

/** The anti-forgery token of a login form, bound to one interaction. */
export function csrfToken(key: Buffer, interactionUid: string): string {
  return createHmac('sha256', key).update(`login-form:${interactionUid}`).digest('base64url');
}

/** Constant-time check of a posted anti-forgery token. */
export function checkCsrfToken(key: Buffer, interactionUid: string, posted: unknown): boolean {
  if (typeof posted !== 'string') return false;
  const want = Buffer.from(csrfToken(key, interactionUid));
  const got = Buffer.from(posted);
  return got.length === want.length && timingSafeEqual(got, want);
}
