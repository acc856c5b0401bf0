import { CodedError } from '../lib/index.js';
import { formatProblem, type PolicyProblem } from './policy.js';

export type RbacErrorCode =
  'ERR_RBAC_POLICY_INVALID' | 'ERR_RBAC_INVALID_REQUEST' | 'ERR_RBAC_PERMISSION_DENIED';

/** A policy that does not parse; `problems` lists every problem with its source and line. */
export class RbacPolicyError extends CodedError<'ERR_RBAC_POLICY_INVALID'> {
  readonly code = 'ERR_RBAC_POLICY_INVALID';
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[], options?: { cause?: unknown }) {
    const errors = problems.filter((p) => p.severity === 'error');
    const shown = errors.slice(0, 5).map(formatProblem).join('; ');
    const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
    super(`failed to load RBAC policy: ${shown}${more}`, options);
    this.problems = problems;
  }
}

/** A request the evaluator cannot answer as asked (e.g. `can-i` with a sub-resource action). */
export class RbacRequestError extends CodedError<'ERR_RBAC_INVALID_REQUEST'> {
  readonly code = 'ERR_RBAC_INVALID_REQUEST';
}

/**
 * The caller may not do what it asked. The message is Argo CD's, byte for byte:
 * `permission denied: <resource>, <action>, <object>[, sub: <id>][, iat: <RFC 3339>]`.
 */
export class RbacDeniedError extends CodedError<'ERR_RBAC_PERMISSION_DENIED'> {
  readonly code = 'ERR_RBAC_PERMISSION_DENIED';
}
