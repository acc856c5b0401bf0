/**
 * Kubernetes label selectors as objects (`{matchLabels, matchExpressions}`), for argocd-cm settings
 * such as `globalProjects`. Unknown operators match nothing (never everything).
 */
import { isRecord } from '../lib/index.js';

/** Whether `labels` satisfy `selector` (an empty selector matches everything). */
export function matchesLabelSelector(
  selector: unknown,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!isRecord(selector)) return false;
  const l = labels ?? {};
  const ml = selector.matchLabels;
  if (isRecord(ml)) {
    for (const [k, v] of Object.entries(ml)) if (l[k] !== v) return false;
  }
  const me = selector.matchExpressions;
  if (Array.isArray(me)) {
    for (const e of me) {
      if (!isRecord(e) || typeof e.key !== 'string') return false;
      const values = Array.isArray(e.values)
        ? e.values.filter((x): x is string => typeof x === 'string')
        : [];
      const has = Object.hasOwn(l, e.key);
      const value = l[e.key];
      switch (e.operator) {
        case 'In':
          if (!has || value === undefined || !values.includes(value)) return false;
          break;
        case 'NotIn':
          if (has && value !== undefined && values.includes(value)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
  }
  return true;
}
