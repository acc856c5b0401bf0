/** Engine diffs in Argo CD's REST shape. */
import type { ResourceDiffWire } from '../../apis/index.js';
import type { ResourceDiff } from './types.js';

function json(o: unknown): string {
  return o === undefined ? '' : JSON.stringify(o);
}

/**
 * A `ResourceDiff` as the `managed-resources` endpoint returns it (`v1alpha1ResourceDiff`: states as
 * JSON strings, already masked).
 */
export function toResourceDiffWire(d: ResourceDiff, hook = false): ResourceDiffWire {
  const rv = d.live?.metadata.resourceVersion;
  return {
    group: d.key.group,
    kind: d.key.kind,
    namespace: d.key.namespace,
    name: d.key.name,
    targetState: json(d.target),
    liveState: json(d.live),
    normalizedLiveState: json(d.normalizedLive),
    predictedLiveState: json(d.predictedLive),
    hook,
    modified: d.modified,
    ...(rv === undefined ? {} : { resourceVersion: rv }),
  };
}
