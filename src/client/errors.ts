/**
 * `ClientError`: every failure of the API client, with a stable `code`:
 *
 * - `ERR_CLIENT_CONNECTION`: no HTTP exchange happened (DNS, refused, reset, TLS handshake or
 *   certificate verification); `tls` is true when the TLS layer refused.
 * - `ERR_CLIENT_TIMEOUT`: no answer (or no stream data) within the timeout.
 * - `ERR_CLIENT_API`: the server answered with an error; `httpStatus`, `grpcCode` and
 *   `serverMessage` come from its `{error, code, message}` body (grpc-gateway's shape).
 * - `ERR_CLIENT_RESPONSE`: the answer could not be read (not JSON, wrong shape, too large).
 * - `ERR_CLIENT_ABORTED`: the caller's AbortSignal fired.
 *
 * Messages never contain the auth token or request bodies; server messages are kept verbatim
 * (the server redacts them) but pass through `sanitizeText` in case a URL with credentials slips in.
 */
import { CodedError, sanitizeText } from '../lib/index.js';
import { grpcCodeName, type GrpcCode, type GrpcCodeName } from './grpc-codes.js';

export type ClientErrorCode =
  | 'ERR_CLIENT_CONNECTION'
  | 'ERR_CLIENT_TIMEOUT'
  | 'ERR_CLIENT_API'
  | 'ERR_CLIENT_RESPONSE'
  | 'ERR_CLIENT_ABORTED';

export interface ClientErrorDetails {
  readonly httpStatus?: number;
  readonly grpcCode?: GrpcCode;
  readonly serverMessage?: string;
  readonly tls?: boolean;
  readonly cause?: unknown;
}

export class ClientError extends CodedError<ClientErrorCode> {
  readonly code: ClientErrorCode;
  /** HTTP status of the answer; undefined when none came */
  readonly httpStatus: number | undefined;
  /** gRPC code from the body, or derived from the HTTP status */
  readonly grpcCode: GrpcCode | undefined;
  /** the server's own message, sanitised */
  readonly serverMessage: string | undefined;
  /** the TLS layer refused the connection (certificate not trusted, wrong host, ...) */
  readonly tls: boolean;

  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(sanitizeText(message), details.cause !== undefined ? { cause: details.cause } : {});
    this.code = code;
    this.httpStatus = details.httpStatus;
    this.grpcCode = details.grpcCode;
    this.serverMessage =
      details.serverMessage !== undefined ? sanitizeText(details.serverMessage) : undefined;
    this.tls = details.tls ?? false;
  }

  /** The gRPC code's name (`NotFound`), or undefined when the server did not answer. */
  get grpcStatus(): GrpcCodeName | undefined {
    return this.grpcCode !== undefined ? grpcCodeName(this.grpcCode) : undefined;
  }
}

function hasGrpc(err: unknown, code: GrpcCode): boolean {
  return err instanceof ClientError && err.code === 'ERR_CLIENT_API' && err.grpcCode === code;
}

/** The server said the object does not exist. */
export function isNotFoundError(err: unknown): boolean {
  return hasGrpc(err, 5);
}
/** The server refused the credentials (none, expired, revoked). */
export function isUnauthenticatedError(err: unknown): boolean {
  return hasGrpc(err, 16);
}
/** The caller is authenticated but RBAC denies the request. */
export function isPermissionDeniedError(err: unknown): boolean {
  return hasGrpc(err, 7);
}
/** The object exists already (create without upsert). */
export function isAlreadyExistsError(err: unknown): boolean {
  return hasGrpc(err, 6);
}
/** No HTTP exchange happened, or it timed out. */
export function isConnectionError(err: unknown): boolean {
  return (
    err instanceof ClientError &&
    (err.code === 'ERR_CLIENT_CONNECTION' || err.code === 'ERR_CLIENT_TIMEOUT')
  );
}
