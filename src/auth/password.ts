/**
 * Password hashing and policy. Hashes are bcrypt (cost >= 10, Argo CD's `bcrypt.DefaultCost`) so
 * `admin.password` values move between Argo CD and argocd-ts unchanged: Go writes `$2a$`, the
 * native `bcrypt` package writes `$2b$`, and each verifies the other.
 *
 * bcrypt reads at most 72 bytes and the native binding stops at a NUL byte, both silently: a
 * 73-byte password whose first 72 bytes match would verify. We refuse such passwords when hashing
 * and never let them verify.
 */
import bcrypt from 'bcrypt';
import { AuthError } from './errors.js';
import { cryptoRandom, type Random } from './ports.js';

/** Argo CD's floor (`bcrypt.DefaultCost`). */
export const MIN_BCRYPT_COST = 10;
export const DEFAULT_BCRYPT_COST = 10;
/** bcrypt's own ceiling. */
export const MAX_BCRYPT_COST = 31;
/** bcrypt ignores everything after 72 bytes. */
export const MAX_PASSWORD_BYTES = 72;
/** Argo CD's default `passwordPattern` of `argocd-cm`. */
export const DEFAULT_PASSWORD_PATTERN = '^.{8,32}$';
/** Length of the initial admin password (`argocd-initial-admin-secret`). */
export const INITIAL_PASSWORD_LENGTH = 16;

const BCRYPT_HASH = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const INITIAL_PASSWORD_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-';

/** Why a password cannot be hashed, or undefined when it can. */
function passwordProblem(password: string): string | undefined {
  if (password.length === 0) return 'the password is empty';
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    return `the password is longer than ${MAX_PASSWORD_BYTES} bytes (bcrypt would silently ignore the rest); choose a shorter one`;
  if (password.includes('\0')) return 'the password contains a NUL character';
  return undefined;
}

/** Throws ERR_AUTH_INVALID_OPTION unless `cost` is a whole number in [10, 31]. */
export function checkBcryptCost(cost: number): number {
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to configure password hashing: bcrypt cost ${cost} is outside ${MIN_BCRYPT_COST}..${MAX_BCRYPT_COST}`,
    );
  }
  return cost;
}

/**
 * Hashes a password with bcrypt on the libuv thread pool (never blocks the event loop).
 * Refuses empty passwords, passwords over 72 bytes and passwords with NUL characters.
 * @example
 * const hash = await hashPassword('correct horse battery staple'); // '$2b$10$...'
 */
export async function hashPassword(
  password: string,
  cost: number = DEFAULT_BCRYPT_COST,
): Promise<string> {
  checkBcryptCost(cost);
  const problem = passwordProblem(password);
  if (problem !== undefined)
    throw new AuthError('ERR_AUTH_INVALID_ARGUMENT', `failed to hash password: ${problem}`);
  return bcrypt.hash(password, cost);
}

/** True when `hash` looks like a bcrypt hash (`$2a$`, `$2b$`, `$2x$`, `$2y$`). */
export function isBcryptHash(hash: string): boolean {
  return BCRYPT_HASH.test(hash);
}

/** The cost factor of a bcrypt hash, or undefined when it is not one. */
export function bcryptCost(hash: string): number | undefined {
  const m = BCRYPT_HASH.exec(hash);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * Checks a password against a bcrypt hash in constant-ish time (one bcrypt run whatever the
 * input). Returns false, never throws, for a malformed hash or a password bcrypt would truncate.
 * @example
 * if (!(await verifyPassword(input, account.passwordHash))) throw ...
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!isBcryptHash(hash)) return false;
  // bcrypt runs even for a refused password so the time taken does not depend on why it failed.
  const matches = await bcrypt.compare(password, hash);
  return matches && passwordProblem(password) === undefined;
}

/** A hash for unknown users, so they cost a bcrypt run like everybody else. */
export async function dummyPasswordHash(
  cost: number = DEFAULT_BCRYPT_COST,
  random: Random = cryptoRandom,
): Promise<string> {
  return hashPassword(Buffer.from(random.bytes(24)).toString('base64'), cost);
}

/**
 * Compiles `passwordPattern` of `argocd-cm` the way Go's RE2 reads it as far as JavaScript allows
 * (`u` flag so `.{8,32}` counts characters, not UTF-16 units). Throws ERR_AUTH_INVALID_OPTION for
 * a pattern that does not compile.
 */
export function compilePasswordPattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch (err) {
      throw new AuthError(
        'ERR_AUTH_INVALID_OPTION',
        'failed to read passwordPattern of argocd-cm: it is not a valid regular expression',
        { cause: err },
      );
    }
  }
}

/**
 * Enforces `passwordPattern` (unanchored search, like Go's `regexp.Match`; Argo CD's default
 * `^.{8,32}$` anchors itself) and the bcrypt limits. Throws ERR_AUTH_PASSWORD_POLICY naming the
 * pattern, never the password.
 * @example
 * validatePasswordPattern(newPassword, settings.passwordPattern);
 */
export function validatePasswordPattern(
  password: string,
  pattern: string = DEFAULT_PASSWORD_PATTERN,
): void {
  const problem = passwordProblem(password);
  if (problem !== undefined)
    throw new AuthError(
      'ERR_AUTH_PASSWORD_POLICY',
      `failed to accept the new password: ${problem}`,
    );
  if (!compilePasswordPattern(pattern).test(password)) {
    throw new AuthError(
      'ERR_AUTH_PASSWORD_POLICY',
      `failed to accept the new password: it does not match the following expression: ${pattern}`,
    );
  }
}

/**
 * A fresh initial admin password (for `argocd-initial-admin-secret`): 16 characters drawn
 * uniformly from `[0-9A-Za-z-]` with a CSPRNG (rejection sampling, no modulo bias). Replaces the
 * pod-name default of CVE-2020-8828.
 * @example
 * const initial = generateInitialPassword(); // e.g. 'k3-Vq9ZcR0aPw7Lm'
 */
export function generateInitialPassword(
  random: Random = cryptoRandom,
  length: number = INITIAL_PASSWORD_LENGTH,
): string {
  const n = INITIAL_PASSWORD_ALPHABET.length; // 63
  const limit = 256 - (256 % n); // accept bytes below 252 only
  let out = '';
  while (out.length < length) {
    for (const b of random.bytes(length * 2)) {
      if (b >= limit) continue;
      out += INITIAL_PASSWORD_ALPHABET.charAt(b % n);
      if (out.length === length) break;
    }
  }
  return out;
}
