/**
 * gRPC status codes, as Argo CD's REST gateway reports them in error bodies (`{"code": 5, ...}`),
 * and the HTTP status grpc-gateway maps each one to (used when a body carries no code).
 */
export const GrpcCodes = {
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
} as const;
export type GrpcCodeName = keyof typeof GrpcCodes;
export type GrpcCode = (typeof GrpcCodes)[GrpcCodeName];

const names = new Map<number, GrpcCodeName>(
  Object.entries(GrpcCodes).map(([k, v]) => [v, k as GrpcCodeName]),
);

/** The name of a gRPC code (`5` → `NotFound`); `Unknown` for numbers outside the table. */
export function grpcCodeName(code: number): GrpcCodeName {
  return names.get(code) ?? 'Unknown';
}

/** Whether `value` is one of the 17 gRPC codes. */
export function isGrpcCode(value: unknown): value is GrpcCode {
  return typeof value === 'number' && names.has(value);
}

/** The gRPC code grpc-gateway would have sent for an HTTP status (its inverse mapping). */
export function grpcCodeFromHttpStatus(status: number): GrpcCode {
  switch (status) {
    case 200:
      return GrpcCodes.OK;
    case 400:
      return GrpcCodes.InvalidArgument;
    case 401:
      return GrpcCodes.Unauthenticated;
    case 403:
      return GrpcCodes.PermissionDenied;
    case 404:
      return GrpcCodes.NotFound;
    case 409:
      return GrpcCodes.AlreadyExists;
    case 412:
      return GrpcCodes.FailedPrecondition;
    case 429:
      return GrpcCodes.ResourceExhausted;
    case 499:
      return GrpcCodes.Canceled;
    case 501:
      return GrpcCodes.Unimplemented;
    case 503:
      return GrpcCodes.Unavailable;
    case 504:
      return GrpcCodes.DeadlineExceeded;
    default:
      return status >= 500 ? GrpcCodes.Internal : GrpcCodes.Unknown;
  }
}
