/**
 * The engine's error boundary: every error the engine throws on purpose is an `EngineError` with a
 * stable `code`. Messages read "failed to <verb> <object>: <what was wrong>; <how to fix it>" and
 * never contain object values (a manifest may be a Secret).
 */
import { CodedError } from '../lib/index.js';

/** Stable codes of `EngineError`; callers branch on these, never on message text. */
export type EngineErrorCode =
  /** a rendered manifest is not JSON/YAML, not an object, or lacks apiVersion/kind/metadata.name */
  | 'ERR_ENGINE_INVALID_MANIFEST'
  /** an `ignoreDifferences` rule is malformed (bad JSON pointer, no kind, ...) */
  | 'ERR_ENGINE_INVALID_IGNORE_RULE'
  /** a `jqPathExpressions` entry is outside the supported subset (see docs/engine.md) */
  | 'ERR_ENGINE_UNSUPPORTED_JQ'
  /** a sync state does not belong to the plan it is stepped with, or results name unknown tasks */
  | 'ERR_ENGINE_INVALID_SYNC_STATE';

/** The engine's error class (≈ gitops-engine's wrapped errors, with jose-style stable codes). */
export class EngineError extends CodedError<EngineErrorCode> {
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
