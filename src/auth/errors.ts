/**
 * The one error class of the auth boundary. Callers branch on `code`; the API server maps codes to
 * HTTP/gRPC statuses in its error middleware (conventions E.4). Messages never carry passwords,
 * tokens or secret keys.
 */
import { CodedError } from '../lib/index.js';

/** Stable error codes of `AuthError`. */
export type AuthErrorCode =
  /** login failed; the message is always `Invalid username or password` (see LoginService) */
  | 'ERR_AUTH_INVALID_CREDENTIALS'
  /** malformed request: blank password, username over 32 bytes, password over 72 bytes, bad id */
  | 'ERR_AUTH_INVALID_ARGUMENT'
  /** token malformed, wrong algorithm, bad signature, wrong issuer, missing claims, unknown subject */
  | 'ERR_AUTH_TOKEN_INVALID'
  | 'ERR_AUTH_TOKEN_EXPIRED'
  | 'ERR_AUTH_TOKEN_NOT_YET_VALID'
  /** jti revoked, token older than the password, API token or project token entry deleted */
  | 'ERR_AUTH_TOKEN_REVOKED'
  | 'ERR_AUTH_ACCOUNT_NOT_FOUND'
  | 'ERR_AUTH_ACCOUNT_DISABLED'
  /** the account lacks the capability (`login`, `apiKey`) the operation or token needs */
  | 'ERR_AUTH_CAPABILITY'
  /** the caller may not do this (e.g. change another account's password without RBAC's consent) */
  | 'ERR_AUTH_FORBIDDEN'
  /** a project token used outside its project */
  | 'ERR_AUTH_PROJECT_SCOPE'
  /** internal reason of a uniform login failure: too many failures (never sent to clients) */
  | 'ERR_AUTH_LOCKED'
  /** internal reason of a uniform login failure: too many logins in flight (never sent to clients) */
  | 'ERR_AUTH_BUSY'
  /** a new password does not match `passwordPattern` */
  | 'ERR_AUTH_PASSWORD_POLICY'
  /** the current password given to a password change is wrong */
  | 'ERR_AUTH_PASSWORD_MISMATCH'
  /** an SSO token too old for a sensitive operation (password change) */
  | 'ERR_AUTH_TOKEN_TOO_OLD'
  /** an API token id that already exists / does not exist */
  | 'ERR_AUTH_TOKEN_EXISTS'
  | 'ERR_AUTH_TOKEN_NOT_FOUND'
  /** `server.secretkey` missing or too short */
  | 'ERR_AUTH_INVALID_SECRET_KEY'
  /** an environment knob or option with a bad value */
  | 'ERR_AUTH_INVALID_OPTION'
  /** a backing store (Redis, the Kubernetes adapter) failed */
  | 'ERR_AUTH_STORE';

/**
 * Thrown by everything in `auth/`. `code` is stable; `message` is safe to show to the caller that
 * caused it (it names no secret), and `cause` carries detail for logs only.
 * @example
 * try { await sessions.verifyToken(raw) } catch (err) {
 *   if (err instanceof AuthError && err.code === 'ERR_AUTH_TOKEN_EXPIRED') { ... }
 * }
 */
export class AuthError extends CodedError<AuthErrorCode> {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The one message every credential failure of a login returns (Argo CD's wording, kept for clients). */
export const INVALID_LOGIN_MESSAGE = 'Invalid username or password';

/** Argo CD's wording for a blank password. */
export const BLANK_PASSWORD_MESSAGE = 'Blank passwords are not allowed';
