import { CodedError } from '../lib/index.js';

/** Stable codes of everything src/oidc throws on purpose. */
export type OidcErrorCode =
  /** dex.config (or the settings around it) is invalid: the message names the field */
  | 'ERR_OIDC_CONFIG'
  /** signing keys could not be loaded, created, rotated or persisted */
  | 'ERR_OIDC_KEYS'
  /** another writer changed the stored signing keys first (reload and retry) */
  | 'ERR_OIDC_KEYS_CONFLICT'
  /** the upstream OpenID provider of a connector failed or answered something unacceptable */
  | 'ERR_OIDC_UPSTREAM'
  /** the HTTP(S) listener could not start */
  | 'ERR_OIDC_LISTEN';

/** The error base of the bundled OpenID provider. */
export class OidcError extends CodedError<OidcErrorCode> {
  readonly code: OidcErrorCode;

  constructor(code: OidcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
