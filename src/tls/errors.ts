/**
 * The TLS module's error class. Callers branch on `code`, never on the message; messages say what
 * was wrong and how to fix it, name the flag when a flag was at fault, and never carry key material.
 */
import { CodedError } from '../lib/index.js';

export type TlsErrorCode =
  /** a TLS version, cipher suite or flag combination is invalid (the message names the flag) */
  | 'ERR_TLS_INVALID_OPTION'
  /** a certificate (or CA bundle) does not parse or is not usable */
  | 'ERR_TLS_INVALID_CERTIFICATE'
  /** a private key does not parse */
  | 'ERR_TLS_INVALID_KEY'
  /** the private key does not belong to the certificate */
  | 'ERR_TLS_KEY_MISMATCH'
  /** the key is too weak (RSA under 2048 bits, an unsupported curve) */
  | 'ERR_TLS_WEAK_KEY'
  /** a configured file cannot be read */
  | 'ERR_TLS_FILE'
  /** files that must exist together are incomplete (a certificate without its key) */
  | 'ERR_TLS_INCOMPLETE_PAIR';

export class TlsError extends CodedError<TlsErrorCode> {
  readonly code: TlsErrorCode;

  constructor(code: TlsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is a TlsError, optionally with the given code. */
export function isTlsError(err: unknown, code?: TlsErrorCode): err is TlsError {
  return err instanceof TlsError && (code === undefined || err.code === code);
}
