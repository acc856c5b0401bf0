/**
 * Defaults server-side apply needs but older API servers do not fill in: in Kubernetes before
 * 1.21 (this project's test API server is 1.20) an apply whose Service `spec.ports[]` or container
 * `ports[]` omit `protocol` fails with "associative list with keys has an element that omits key
 * field "protocol"", because `protocol` is part of the list's merge key. kubectl's client-side
 * apply never hit this; server-side apply does. Filling in the API server's own default (`TCP`)
 * before applying changes nothing on the server and lets such manifests apply everywhere.
 */
import type { KubeObject } from '../apis/index.js';
import { isRecord } from '../lib/index.js';

function withProtocols(ports: unknown): unknown {
  if (!Array.isArray(ports) || !ports.some((p) => isRecord(p) && p.protocol === undefined))
    return ports;
  return ports.map((p: unknown) =>
    isRecord(p) && p.protocol === undefined ? { ...p, protocol: 'TCP' } : p,
  );
}

function fixContainers(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  const out: unknown[] = [];
  let changed = 0;
  for (const c of list as unknown[]) {
    if (!isRecord(c)) {
      out.push(c);
      continue;
    }
    const ports = withProtocols(c.ports);
    if (ports !== c.ports) changed++;
    out.push(ports === c.ports ? c : { ...c, ports });
  }
  return changed > 0 ? out : list;
}

function fixPodSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const containers = fixContainers(spec.containers);
  const initContainers = fixContainers(spec.initContainers);
  if (containers === spec.containers && initContainers === spec.initContainers) return spec;
  return {
    ...spec,
    ...(spec.containers !== undefined ? { containers } : {}),
    ...(spec.initContainers !== undefined ? { initContainers } : {}),
  };
}

function fixTemplate(template: unknown): unknown {
  if (!isRecord(template)) return template;
  const spec = fixPodSpec(template.spec);
  return spec === template.spec ? template : { ...template, spec };
}

const WORKLOADS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'ReplicationController',
]);

/** `obj` with `protocol: TCP` added where a port list entry omits it; `obj` itself when none does. */
export function withSsaDefaults(obj: KubeObject): KubeObject {
  const spec = obj.spec;
  if (!isRecord(spec)) return obj;
  if (obj.kind === 'Service' && obj.apiVersion === 'v1') {
    const ports = withProtocols(spec.ports);
    return ports === spec.ports ? obj : { ...obj, spec: { ...spec, ports } };
  }
  if (obj.kind === 'Pod' && obj.apiVersion === 'v1') {
    const s = fixPodSpec(spec);
    return s === spec ? obj : { ...obj, spec: s };
  }
  if (obj.kind === 'CronJob' && isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec)) {
    const jt = spec.jobTemplate;
    const jobSpec = jt.spec as Record<string, unknown>;
    const template = fixTemplate(jobSpec.template);
    return template === jobSpec.template
      ? obj
      : { ...obj, spec: { ...spec, jobTemplate: { ...jt, spec: { ...jobSpec, template } } } };
  }
  if (WORKLOADS.has(obj.kind)) {
    const template = fixTemplate(spec.template);
    return template === spec.template ? obj : { ...obj, spec: { ...spec, template } };
  }
  return obj;
}
