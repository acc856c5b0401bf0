import { CodedError } from '../lib/index.js';

export type KubeErrorCode =
  | 'ERR_KUBE_CONFIG'
  | 'ERR_KUBE_BAD_REQUEST'
  | 'ERR_KUBE_UNAUTHORIZED'
  | 'ERR_KUBE_FORBIDDEN'
  | 'ERR_KUBE_NOT_FOUND'
  | 'ERR_KUBE_CONFLICT'
  | 'ERR_KUBE_GONE'
  | 'ERR_KUBE_INVALID'
  | 'ERR_KUBE_TOO_MANY_REQUESTS'
  | 'ERR_KUBE_INTERNAL'
  | 'ERR_KUBE_UNAVAILABLE'
  | 'ERR_KUBE_TIMEOUT'
  | 'ERR_KUBE_REQUEST';

/** A failed call to the Kubernetes API; `status` is the HTTP status (0 when no response came). */
export class KubeApiError extends CodedError<KubeErrorCode> {
  readonly code: KubeErrorCode;
  readonly status: number;
  /** the `reason` of the Kubernetes Status object, e.g. `NotFound`, `Conflict`, `Expired` */
  readonly reason: string | undefined;

  constructor(
    code: KubeErrorCode,
    status: number,
    message: string,
    reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
}

/** The kubeconfig could not be read or names something unsupported. */
export class KubeConfigError extends CodedError<'ERR_KUBE_CONFIG'> {
  readonly code = 'ERR_KUBE_CONFIG';
}

export function codeForStatus(status: number): KubeErrorCode {
  switch (status) {
    case 400:
      return 'ERR_KUBE_BAD_REQUEST';
    case 401:
      return 'ERR_KUBE_UNAUTHORIZED';
    case 403:
      return 'ERR_KUBE_FORBIDDEN';
    case 404:
      return 'ERR_KUBE_NOT_FOUND';
    case 409:
      return 'ERR_KUBE_CONFLICT';
    case 410:
      return 'ERR_KUBE_GONE';
    case 422:
      return 'ERR_KUBE_INVALID';
    case 429:
      return 'ERR_KUBE_TOO_MANY_REQUESTS';
    case 500:
      return 'ERR_KUBE_INTERNAL';
    case 502:
    case 503:
    case 504:
      return 'ERR_KUBE_UNAVAILABLE';
    default:
      return 'ERR_KUBE_REQUEST';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 'ERR_KUBE_NOT_FOUND';
}
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 'ERR_KUBE_CONFLICT';
}
export function isAlreadyExists(err: unknown): boolean {
  return (
    err instanceof KubeApiError &&
    err.code === 'ERR_KUBE_CONFLICT' &&
    err.reason === 'AlreadyExists'
  );
}
export function isGone(err: unknown): boolean {
  return (
    err instanceof KubeApiError &&
    (err.code === 'ERR_KUBE_GONE' || err.reason === 'Expired' || err.reason === 'Gone')
  );
}

export type KubeCacheErrorCode =
  'ERR_KUBE_CACHE_EXCLUDED' | 'ERR_KUBE_CACHE_NOT_SERVED' | 'ERR_KUBE_CACHE_STOPPED';

/** The cluster cache cannot (or may not) follow a kind. */
export class KubeCacheError extends CodedError<KubeCacheErrorCode> {
  readonly code: KubeCacheErrorCode;

  constructor(code: KubeCacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
