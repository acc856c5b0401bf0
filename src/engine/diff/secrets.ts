/** Secret redaction before anything leaves the engine (≈ gitops-engine `diff.HideSecretData`). */
import type { KubeObject } from '../../apis/index.js';
import { notImplemented } from '../todo.js';

/** The masked objects. */
export interface HiddenSecrets {
  readonly target: KubeObject | undefined;
  readonly live: KubeObject | undefined;
  readonly orig: KubeObject | undefined;
}

/**
 * Masks Secret values across desired (`target`), `live` and the last-applied object (`orig`):
 * `stringData` is folded into `data`, then each key's distinct values become `++++++++`,
 * `++++++++++++`, ... (equal values, equal masks: a changed secret still shows as changed). The
 * `kubectl.kubernetes.io/last-applied-configuration` annotation is re-masked the same way (or
 * replaced by a mask when it cannot be parsed). Annotations named in `sensitiveAnnotations` are
 * masked on any kind. Non-Secret objects pass through unchanged (same references).
 */
export function hideSecretData(
  _target: KubeObject | undefined,
  _live: KubeObject | undefined,
  _orig?: KubeObject,
  _sensitiveAnnotations?: readonly string[],
): HiddenSecrets {
  return notImplemented('hideSecretData');
}
