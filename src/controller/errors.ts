/**
 * Errors of the application controller. Messages say what failed and how to fix it; they never
 * hold credentials (repo and cluster secrets stay in memory only).
 */
import { CodedError } from '../lib/index.js';

export type ControllerErrorCode =
  | 'ERR_MANIFEST'
  | 'ERR_PROJECT_NOT_FOUND'
  | 'ERR_CLUSTER_NOT_FOUND'
  | 'ERR_INVALID_SPEC'
  | 'ERR_COMPARISON'
  | 'ERR_SYNC'
  | 'ERR_STATUS_PATCH'
  | 'ERR_DELETION';

export class ControllerError extends CodedError<ControllerErrorCode> {
  readonly code: ControllerErrorCode;

  constructor(code: ControllerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
