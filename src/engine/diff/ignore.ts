/**
 * `ignoreDifferences` (app `spec.ignoreDifferences` and `resource.customizations.ignoreDifferences`):
 * compiled once, applied to both sides before comparison.
 */
import type { ResourceIgnoreDifferences } from '../../apis/index.js';
import type { ResourceKey } from '../resource/key.js';
import { notImplemented } from '../todo.js';

/**
 * Compiled ignore rules. Build with `compileIgnoreDifferences`; `IgnoreDifferences.none` ignores
 * nothing.
 */
export class IgnoreDifferences {
  static readonly none: IgnoreDifferences = new IgnoreDifferences();

  /** Whether any rule applies to objects with this key. */
  appliesTo(_key: ResourceKey): boolean {
    return false;
  }
}

/**
 * Compiles `ignoreDifferences` rules: `jsonPointers` (RFC 6901), `managedFieldsManagers`, and
 * `jqPathExpressions` in the supported subset (see docs/engine.md, "jq subset").
 *
 * @throws EngineError `ERR_ENGINE_UNSUPPORTED_JQ` naming the expression and what is unsupported;
 *   `ERR_ENGINE_INVALID_IGNORE_RULE` for a malformed pointer or a rule without kind.
 * @example
 * const ignore = compileIgnoreDifferences([
 *   { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
 *   { kind: 'Pod', jqPathExpressions: ['.spec.containers[] | select(.name == "istio-proxy")'] },
 * ]);
 */
export function compileIgnoreDifferences(
  _rules: readonly ResourceIgnoreDifferences[],
): IgnoreDifferences {
  return notImplemented('compileIgnoreDifferences');
}
