/**
 * The repo server's error boundary: every refusal and failure it reports on purpose is a
 * `RepoServerError` with a stable `code`. Messages are already free of credentials (they pass
 * `sanitizeText` with the request's secrets where they are built) and say what was wrong and how
 * to fix it. The mapping to gRPC status codes lives in exactly one place (`server.ts`).
 */
import { CodedError } from '../lib/index.js';
import type { Cwe, SecurityLevel } from './security.js';

/** How a refusal is logged as a security event (level of the seed document, CWE number). */
export interface SecurityClass {
  readonly level: SecurityLevel;
  readonly cwe: Cwe;
}

export type RepoServerErrorCode =
  /** a required field is missing or malformed */
  | 'ERR_INVALID_REQUEST'
  /** the repository URL is not allowed (scheme, option-like, file:// without the unsafe flag) */
  | 'ERR_INVALID_REPO_URL'
  /** the revision is not a safe ref name or SHA */
  | 'ERR_INVALID_REVISION'
  /** no branch, tag or commit of that name */
  | 'ERR_REVISION_NOT_FOUND'
  /** git could not reach or authenticate to the repository */
  | 'ERR_REPO_ACCESS'
  /** a git command failed for another reason */
  | 'ERR_GIT'
  /** the application path or a value file is absolute, climbs out with `..`, or resolves outside */
  | 'ERR_PATH_OUTSIDE_ROOT'
  /** the application path does not exist or is not a directory */
  | 'ERR_PATH_NOT_FOUND'
  /** a symlink in the checkout points outside the repository */
  | 'ERR_OOB_SYMLINK'
  /** a size limit was exceeded (combined directory size, one document, tool output) */
  | 'ERR_MANIFEST_TOO_LARGE'
  /** a manifest file is not valid YAML/JSON or not a Kubernetes object */
  | 'ERR_MANIFEST_PARSE'
  /** a value file URL uses a scheme outside helm.valuesFileSchemes */
  | 'ERR_URL_SCHEME_NOT_ALLOWED'
  /** kustomize or helm is needed but not installed */
  | 'ERR_TOOL_NOT_INSTALLED'
  /** kustomize or helm exited with an error */
  | 'ERR_TOOL_FAILED'
  /** a tool or git command ran over its time limit */
  | 'ERR_TIMEOUT'
  /** a feature argocd-ts does not serve (jsonnet, plugins, remote bases, helm/oci repositories) */
  | 'ERR_UNSUPPORTED'
  /** the server is shutting down or the request was cancelled */
  | 'ERR_CANCELLED';

/**
 * A refusal or failure of the repo server, with a stable code. Refusals of malicious-looking input
 * carry `security`: the service logs them once as structured security events.
 */
export class RepoServerError extends CodedError<RepoServerErrorCode> {
  readonly code: RepoServerErrorCode;
  readonly security: SecurityClass | undefined;

  constructor(
    code: RepoServerErrorCode,
    message: string,
    options?: { cause?: unknown; security?: SecurityClass },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.security = options?.security;
  }
}

/** Narrows to a RepoServerError, optionally of one code. */
export function isRepoServerError(
  err: unknown,
  code?: RepoServerErrorCode,
): err is RepoServerError {
  return err instanceof RepoServerError && (code === undefined || err.code === code);
}
