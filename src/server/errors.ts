/**
 * The API boundary's errors and the ONE place that maps any error to an HTTP status and the JSON
 * body Argo CD's grpc-gateway writes: `{"error": msg, "code": <gRPC code>, "message": msg}`.
 *
 * - `ApiError` is what handlers throw for their own refusals (bad input, not found, conflicts).
 * - Errors of the other boundaries (`AuthError`, `RbacDeniedError`, `ValidationError`,
 *   `KubeApiError`, `RepoServerClientError`, fastify's parser errors) are mapped here by `code`.
 * - Anything else is a bug or an outage: the client gets `internal error (logId=<id>)`, the detail
 *   goes to the log under the same id (Argo CD's `applyInternalErrorFilter`), so no stack trace,
 *   object body or credential ever reaches a response.
 * Every message sent passes `redactText` (credentials, URL query strings, tokens).
 */
import { randomBytes } from 'node:crypto';
import { AuthError } from '../auth/index.js';
import { ValidationError } from '../apis/index.js';
import { KubeApiError } from '../kube/index.js';
import { CodedError, errorMessage, isRecord } from '../lib/index.js';
import { RbacDeniedError, RbacPolicyError, RbacRequestError } from '../rbac/index.js';
import { RepoServerClientError } from '../reposerver/client.js';
import { redactText } from './redact.js';

/** gRPC status codes (values byte for byte). */
export const GrpcCodes = Object.freeze({
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const);
export type GrpcCodeName = keyof typeof GrpcCodes;
export type GrpcCode = (typeof GrpcCodes)[GrpcCodeName];

/** grpc-gateway's HTTP status per gRPC code (runtime.HTTPStatusFromCode). */
const HTTP_STATUS: Readonly<Record<GrpcCode, number>> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** The HTTP status grpc-gateway answers for a gRPC code. */
export function httpStatusFromGrpc(code: GrpcCode): number {
  return HTTP_STATUS[code];
}

/** Stable codes of `ApiError`. */
export type ApiErrorCode =
  | 'ERR_API_INVALID_ARGUMENT'
  | 'ERR_API_NOT_FOUND'
  | 'ERR_API_ALREADY_EXISTS'
  | 'ERR_API_PERMISSION_DENIED'
  | 'ERR_API_UNAUTHENTICATED'
  | 'ERR_API_FAILED_PRECONDITION'
  /** the object changed meanwhile (optimistic concurrency); retry */
  | 'ERR_API_CONFLICT'
  | 'ERR_API_UNIMPLEMENTED'
  | 'ERR_API_UNAVAILABLE'
  | 'ERR_API_TOO_LARGE'
  | 'ERR_API_INTERNAL';

const API_CODE_GRPC: Readonly<Record<ApiErrorCode, GrpcCode>> = {
  ERR_API_INVALID_ARGUMENT: GrpcCodes.InvalidArgument,
  ERR_API_NOT_FOUND: GrpcCodes.NotFound,
  ERR_API_ALREADY_EXISTS: GrpcCodes.AlreadyExists,
  ERR_API_PERMISSION_DENIED: GrpcCodes.PermissionDenied,
  ERR_API_UNAUTHENTICATED: GrpcCodes.Unauthenticated,
  ERR_API_FAILED_PRECONDITION: GrpcCodes.FailedPrecondition,
  ERR_API_CONFLICT: GrpcCodes.Aborted,
  ERR_API_UNIMPLEMENTED: GrpcCodes.Unimplemented,
  ERR_API_UNAVAILABLE: GrpcCodes.Unavailable,
  ERR_API_TOO_LARGE: GrpcCodes.ResourceExhausted,
  ERR_API_INTERNAL: GrpcCodes.Internal,
};

/**
 * A refusal of the API itself. The message goes to the client (after redaction): write it as
 * "failed to <verb> <object>: <what was wrong and how to fix it>" and never put secrets in it.
 * @example
 * throw new ApiError('ERR_API_NOT_FOUND', `failed to get project: project "${name}" does not exist`);
 */
export class ApiError extends CodedError<ApiErrorCode> {
  readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get grpcCode(): GrpcCode {
    return API_CODE_GRPC[this.code];
  }
}

/** What a response carries for a failed request. */
export interface MappedError {
  readonly status: number;
  readonly grpcCode: GrpcCode;
  readonly message: string;
  /** set for internal errors: the id under which the detail is logged */
  readonly logId?: string;
  /** the stable `ERR_...` code of the error, for logs and metrics (never sent) */
  readonly errorCode: string;
}

/** The grpc-gateway error body. */
export interface ErrorBody {
  readonly error: string;
  readonly code: number;
  readonly message: string;
}

export function errorBody(mapped: MappedError): ErrorBody {
  return { error: mapped.message, code: mapped.grpcCode, message: mapped.message };
}

const AUTH_GRPC: Readonly<Record<AuthError['code'], GrpcCode>> = {
  ERR_AUTH_INVALID_CREDENTIALS: GrpcCodes.Unauthenticated,
  ERR_AUTH_INVALID_ARGUMENT: GrpcCodes.InvalidArgument,
  ERR_AUTH_TOKEN_INVALID: GrpcCodes.Unauthenticated,
  ERR_AUTH_TOKEN_EXPIRED: GrpcCodes.Unauthenticated,
  ERR_AUTH_TOKEN_NOT_YET_VALID: GrpcCodes.Unauthenticated,
  ERR_AUTH_TOKEN_REVOKED: GrpcCodes.Unauthenticated,
  ERR_AUTH_ACCOUNT_NOT_FOUND: GrpcCodes.Unauthenticated,
  ERR_AUTH_ACCOUNT_DISABLED: GrpcCodes.Unauthenticated,
  ERR_AUTH_CAPABILITY: GrpcCodes.Unauthenticated,
  ERR_AUTH_FORBIDDEN: GrpcCodes.PermissionDenied,
  ERR_AUTH_PROJECT_SCOPE: GrpcCodes.PermissionDenied,
  // never sent on their own (wrapped in the uniform login error); mapped for completeness
  ERR_AUTH_LOCKED: GrpcCodes.Unauthenticated,
  ERR_AUTH_BUSY: GrpcCodes.Unauthenticated,
  ERR_AUTH_PASSWORD_POLICY: GrpcCodes.InvalidArgument,
  ERR_AUTH_PASSWORD_MISMATCH: GrpcCodes.InvalidArgument,
  ERR_AUTH_TOKEN_TOO_OLD: GrpcCodes.Unauthenticated,
  ERR_AUTH_TOKEN_EXISTS: GrpcCodes.AlreadyExists,
  ERR_AUTH_TOKEN_NOT_FOUND: GrpcCodes.NotFound,
  ERR_AUTH_INVALID_SECRET_KEY: GrpcCodes.Internal,
  ERR_AUTH_INVALID_OPTION: GrpcCodes.Internal,
  ERR_AUTH_STORE: GrpcCodes.Unavailable,
};

function kubeGrpc(err: KubeApiError): GrpcCode | undefined {
  switch (err.code) {
    case 'ERR_KUBE_NOT_FOUND':
      return GrpcCodes.NotFound;
    case 'ERR_KUBE_CONFLICT':
      return err.reason === 'AlreadyExists' ? GrpcCodes.AlreadyExists : GrpcCodes.Aborted;
    case 'ERR_KUBE_INVALID':
    case 'ERR_KUBE_BAD_REQUEST':
      return GrpcCodes.InvalidArgument;
    case 'ERR_KUBE_TOO_MANY_REQUESTS':
      return GrpcCodes.ResourceExhausted;
    case 'ERR_KUBE_UNAVAILABLE':
    case 'ERR_KUBE_TIMEOUT':
      return GrpcCodes.Unavailable;
    // the server's own credentials were refused: a deployment problem, not the caller's
    case 'ERR_KUBE_UNAUTHORIZED':
    case 'ERR_KUBE_FORBIDDEN':
    case 'ERR_KUBE_GONE':
    case 'ERR_KUBE_INTERNAL':
    case 'ERR_KUBE_REQUEST':
    case 'ERR_KUBE_CONFIG':
      return undefined;
  }
}

/** fastify's own request errors (body parsing, limits) carry a 4xx statusCode and an FST_ code. */
function fastifyClientError(err: unknown): { status: number; message: string } | undefined {
  if (!(err instanceof Error) || !isRecord(err)) return undefined;
  const status = err.statusCode;
  const code = err.code;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (typeof code === 'string' && code.startsWith('FST_')) return { status, message: err.message };
  // JSON.parse failures of the body parser come as SyntaxError with statusCode 400
  if (err instanceof SyntaxError)
    return { status: 400, message: 'failed to parse the request body: not valid JSON' };
  return undefined;
}

function grpcForHttp(status: number): GrpcCode {
  switch (status) {
    case 401:
      return GrpcCodes.Unauthenticated;
    case 403:
      return GrpcCodes.PermissionDenied;
    case 404:
      return GrpcCodes.NotFound;
    case 409:
      return GrpcCodes.Aborted;
    case 413:
    case 429:
      return GrpcCodes.ResourceExhausted;
    default:
      return GrpcCodes.InvalidArgument;
  }
}

function newLogId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Maps any thrown value to what the response carries. Pure apart from generating a log id; the
 * caller logs `internal` results with the original error under `logId`.
 */
export function mapError(err: unknown): MappedError {
  const known = (grpcCode: GrpcCode, message: string, errorCode: string): MappedError => ({
    status: httpStatusFromGrpc(grpcCode),
    grpcCode,
    message: redactText(message),
    errorCode,
  });
  if (err instanceof ApiError && err.code !== 'ERR_API_INTERNAL')
    return known(err.grpcCode, err.message, err.code);
  if (err instanceof AuthError) {
    const grpc = AUTH_GRPC[err.code];
    if (grpc !== GrpcCodes.Internal) return known(grpc, err.message, err.code);
  }
  if (err instanceof RbacDeniedError)
    return known(GrpcCodes.PermissionDenied, err.message, err.code);
  if (err instanceof RbacRequestError)
    return known(GrpcCodes.InvalidArgument, err.message, err.code);
  if (err instanceof RbacPolicyError)
    return known(GrpcCodes.InvalidArgument, err.message, err.code);
  if (err instanceof ValidationError)
    return known(GrpcCodes.InvalidArgument, err.message, err.code);
  if (err instanceof KubeApiError) {
    const grpc = kubeGrpc(err);
    if (grpc !== undefined) return known(grpc, err.message, err.code);
  }
  if (err instanceof RepoServerClientError) {
    if (err.code === 'ERR_UNAVAILABLE')
      return known(
        GrpcCodes.Unavailable,
        `failed to reach the repo server: ${err.message}`,
        err.code,
      );
    if (err.code !== 'ERR_INTERNAL') return known(GrpcCodes.InvalidArgument, err.message, err.code);
  }
  const client = fastifyClientError(err);
  if (client)
    return {
      status: client.status,
      grpcCode: grpcForHttp(client.status),
      message: redactText(client.message),
      errorCode: 'ERR_API_REQUEST',
    };
  const logId = newLogId();
  return {
    status: 500,
    grpcCode: GrpcCodes.Internal,
    message: `internal error (logId=${logId})`,
    logId,
    errorCode: err instanceof CodedError ? String(err.code) : 'ERR_API_INTERNAL',
  };
}

/** The detail logged for an internal error (redacted too: logs are an exit). */
export function internalErrorDetail(err: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { err: redactText(errorMessage(err)) };
  if (err instanceof Error && err.stack) out.stack = redactText(err.stack);
  if (err instanceof CodedError) out.code = err.code;
  return out;
}
