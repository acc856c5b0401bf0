import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { HealthStatusCode, KubeObject } from '../../apis/index.js';
import {
  aggregateHealth,
  getResourceHealth,
  isWorseHealth,
  parseManifests,
  type HealthStatus,
} from '../index.js';

function fixture(file: string): KubeObject {
  const text = readFileSync(new URL(`testdata/${file}`, import.meta.url), 'utf8');
  const [obj] = parseManifests([text]);
  assert.ok(obj, `fixture ${file} holds an object`);
  return obj;
}

function assertHealth(file: string, want: HealthStatus | undefined): void {
  assert.deepEqual(getResourceHealth(fixture(file)), want, file);
}

interface Case {
  readonly name: string;
  readonly file: string;
  readonly want: HealthStatus | undefined;
}

const cases: Case[] = [
  // Deployment
  { name: 'deployment rolled out', file: 'deployment-healthy.yaml', want: { status: 'Healthy' } },
  {
    name: 'deployment waiting for available replicas',
    file: 'deployment-progressing.yaml',
    want: {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 0 of 1 updated replicas are available...',
    },
  },
  {
    name: 'deployment with old replicas',
    file: 'deployment-old-replicas.yaml',
    want: {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 1 old replicas are pending termination...',
    },
  },
  {
    name: 'deployment with replicas not updated',
    file: 'deployment-not-updated.yaml',
    want: {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 0 out of 1 new replicas have been updated...',
    },
  },
  {
    name: 'deployment past its progress deadline',
    file: 'deployment-degraded.yaml',
    want: {
      status: 'Degraded',
      message: 'Deployment "guestbook-ui" exceeded its progress deadline',
    },
  },
  {
    name: 'paused deployment',
    file: 'deployment-suspended.yaml',
    want: { status: 'Suspended', message: 'Deployment is paused' },
  },
  {
    name: 'deployment generation not observed',
    file: 'deployment-generation.yaml',
    want: {
      status: 'Progressing',
      message:
        'Waiting for rollout to finish: observed deployment generation less than desired generation',
    },
  },
  // StatefulSet
  {
    name: 'statefulset rolled out',
    file: 'statefulset-healthy.yaml',
    want: {
      status: 'Healthy',
      message: 'statefulset rolling update complete 3 pods at revision redis-7d9c5b6f8...',
    },
  },
  {
    name: 'statefulset pods not ready',
    file: 'statefulset-progressing.yaml',
    want: { status: 'Progressing', message: 'Waiting for 2 pods to be ready...' },
  },
  {
    name: 'statefulset rolling update in progress',
    file: 'statefulset-rolling.yaml',
    want: {
      status: 'Progressing',
      message:
        'waiting for statefulset rolling update to complete 1 pods at revision redis-5f6d8c9b7...',
    },
  },
  {
    name: 'statefulset partitioned rollout complete',
    file: 'statefulset-partition.yaml',
    want: {
      status: 'Progressing',
      message:
        'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...',
    },
  },
  {
    name: 'statefulset OnDelete',
    file: 'statefulset-ondelete.yaml',
    want: { status: 'Healthy', message: 'statefulset has 3 ready pods' },
  },
  {
    name: 'statefulset not observed yet',
    file: 'statefulset-unobserved.yaml',
    want: {
      status: 'Progressing',
      message: 'Waiting for statefulset spec update to be observed...',
    },
  },
  // DaemonSet
  { name: 'daemonset rolled out', file: 'daemonset-healthy.yaml', want: { status: 'Healthy' } },
  {
    name: 'daemonset updating',
    file: 'daemonset-progressing.yaml',
    want: {
      status: 'Progressing',
      message:
        'Waiting for daemon set "node-exporter" rollout to finish: 1 out of 3 new pods have been updated...',
    },
  },
  {
    name: 'daemonset pods unavailable',
    file: 'daemonset-unavailable.yaml',
    want: {
      status: 'Progressing',
      message:
        'Waiting for daemon set "node-exporter" rollout to finish: 2 of 3 updated pods are available...',
    },
  },
  {
    name: 'daemonset OnDelete',
    file: 'daemonset-ondelete.yaml',
    want: { status: 'Healthy', message: 'daemon set 1 out of 3 new pods have been updated' },
  },
  // ReplicaSet
  { name: 'replicaset available', file: 'replicaset-healthy.yaml', want: { status: 'Healthy' } },
  {
    name: 'replicaset waiting',
    file: 'replicaset-progressing.yaml',
    want: {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 1 out of 2 new replicas are available...',
    },
  },
  {
    name: 'replicaset failing to create pods',
    file: 'replicaset-degraded.yaml',
    want: {
      status: 'Degraded',
      message: 'pods "guestbook-ui-85985d774c-" is forbidden: exceeded quota: compute-resources',
    },
  },
  // Pod
  { name: 'ready pod', file: 'pod-running.yaml', want: { status: 'Healthy' } },
  {
    name: 'crash-looping pod',
    file: 'pod-crashloop.yaml',
    want: {
      status: 'Degraded',
      message: 'back-off 5m0s restarting failed container=main pod=web-6b7f9d_default',
    },
  },
  {
    name: 'pod that cannot pull its image',
    file: 'pod-imagepull.yaml',
    want: { status: 'Degraded', message: 'Back-off pulling image "nginx:does-not-exist"' },
  },
  {
    name: 'unschedulable pod',
    file: 'pod-pending.yaml',
    want: { status: 'Progressing', message: '0/1 nodes are available: 1 Insufficient cpu.' },
  },
  { name: 'completed pod', file: 'pod-succeeded.yaml', want: { status: 'Healthy' } },
  {
    name: 'failed pod',
    file: 'pod-failed.yaml',
    want: { status: 'Degraded', message: 'container "main" failed with exit code 3' },
  },
  {
    name: 'OOM-killed pod',
    file: 'pod-oomkilled.yaml',
    want: { status: 'Degraded', message: 'OOMKilled' },
  },
  { name: 'running hook pod', file: 'pod-hook-running.yaml', want: { status: 'Progressing' } },
  {
    name: 'restarted pod not ready',
    file: 'pod-restarted-not-ready.yaml',
    want: { status: 'Degraded' },
  },
  { name: 'starting pod', file: 'pod-starting.yaml', want: { status: 'Progressing' } },
  {
    name: 'pod being deleted',
    file: 'pod-deleting.yaml',
    want: { status: 'Progressing', message: 'Pending deletion' },
  },
  // Service, Ingress, PVC
  { name: 'ClusterIP service', file: 'service-clusterip.yaml', want: { status: 'Healthy' } },
  {
    name: 'load balancer pending',
    file: 'service-lb-pending.yaml',
    want: { status: 'Progressing' },
  },
  { name: 'load balancer ready', file: 'service-lb-ready.yaml', want: { status: 'Healthy' } },
  { name: 'ingress with address', file: 'ingress-healthy.yaml', want: { status: 'Healthy' } },
  {
    name: 'ingress without address',
    file: 'ingress-progressing.yaml',
    want: { status: 'Progressing' },
  },
  { name: 'bound claim', file: 'pvc-bound.yaml', want: { status: 'Healthy' } },
  { name: 'pending claim', file: 'pvc-pending.yaml', want: { status: 'Progressing' } },
  { name: 'lost claim', file: 'pvc-lost.yaml', want: { status: 'Degraded' } },
  // Job
  { name: 'running job', file: 'job-running.yaml', want: { status: 'Progressing' } },
  { name: 'complete job', file: 'job-complete.yaml', want: { status: 'Healthy' } },
  {
    name: 'failed job',
    file: 'job-failed.yaml',
    want: { status: 'Degraded', message: 'Job has reached the specified backoff limit' },
  },
  {
    name: 'suspended job',
    file: 'job-suspended.yaml',
    want: { status: 'Suspended', message: 'Job suspended' },
  },
  // HPA
  {
    name: 'hpa within range',
    file: 'hpa-v2-healthy.yaml',
    want: { status: 'Healthy', message: 'the desired count is within the acceptable range' },
  },
  {
    name: 'hpa without a scale target',
    file: 'hpa-v2-degraded.yaml',
    want: {
      status: 'Degraded',
      message:
        'the HPA controller was unable to get the target\'s current scale: deployments/scale.apps "web" not found',
    },
  },
  {
    name: 'hpa without conditions',
    file: 'hpa-v2-progressing.yaml',
    want: { status: 'Progressing', message: 'Waiting to Autoscale' },
  },
  {
    name: 'autoscaling/v1 hpa with conditions annotation',
    file: 'hpa-v1-healthy.yaml',
    want: {
      status: 'Healthy',
      message: 'the HPA controller was able to update the target scale to 2',
    },
  },
  // APIService
  {
    name: 'available APIService',
    file: 'apiservice-available.yaml',
    want: { status: 'Healthy', message: 'Passed: all checks passed' },
  },
  {
    name: 'unavailable APIService',
    file: 'apiservice-unavailable.yaml',
    want: {
      status: 'Progressing',
      message:
        'MissingEndpoints: endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"',
    },
  },
  {
    name: 'new APIService',
    file: 'apiservice-new.yaml',
    want: { status: 'Progressing', message: 'Waiting to be processed' },
  },
  // Application (app of apps)
  { name: 'healthy child app', file: 'application-healthy.yaml', want: { status: 'Healthy' } },
  {
    name: 'degraded child app',
    file: 'application-degraded.yaml',
    want: { status: 'Degraded', message: 'one or more resources are degraded' },
  },
  {
    name: 'child app without status',
    file: 'application-new.yaml',
    want: { status: 'Progressing' },
  },
  // custom resources with standard conditions
  {
    name: 'ready custom resource',
    file: 'cr-ready.yaml',
    want: { status: 'Healthy', message: 'Certificate is up to date and has not expired' },
  },
  {
    name: 'failed custom resource',
    file: 'cr-not-ready.yaml',
    want: {
      status: 'Degraded',
      message: 'The certificate request has failed to complete and will be retried: rate limited',
    },
  },
  {
    name: 'pending custom resource',
    file: 'cr-issuing.yaml',
    want: { status: 'Progressing', message: 'Issuing certificate as Secret does not exist' },
  },
  {
    name: 'stalled custom resource',
    file: 'cr-stalled.yaml',
    want: { status: 'Degraded', message: 'spec.issuerRef names an issuer that does not exist' },
  },
  {
    name: 'reconciling custom resource',
    file: 'cr-reconciling.yaml',
    want: { status: 'Progressing', message: 'reconciliation in progress' },
  },
  {
    name: 'custom resource with an unobserved generation',
    file: 'cr-generation.yaml',
    want: {
      status: 'Progressing',
      message: 'Waiting for the controller to observe the latest generation',
    },
  },
  { name: 'custom resource without conditions', file: 'cr-no-conditions.yaml', want: undefined },
  { name: 'ConfigMap has no health', file: 'configmap.yaml', want: undefined },
];

describe('getResourceHealth', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.want?.status ?? 'no health'}`, () => {
      assertHealth(c.file, c.want);
    });
  }

  it('consults the override first and falls back to the built-in check', () => {
    const dep = fixture('deployment-healthy.yaml');
    const override = (o: KubeObject): HealthStatus | undefined =>
      o.kind === 'ConfigMap' ? { status: 'Degraded', message: 'custom' } : undefined;
    assert.deepEqual(getResourceHealth(fixture('configmap.yaml'), { override }), {
      status: 'Degraded',
      message: 'custom',
    });
    assert.deepEqual(getResourceHealth(dep, { override }), { status: 'Healthy' });
  });

  it('never throws on objects with fields of the wrong type', () => {
    const odd: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: 'oops',
      status: { conditions: 'no', replicas: 'three' },
    };
    assert.equal(getResourceHealth(odd)?.status, 'Healthy');
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      status: { containerStatuses: [null, 3, { state: 'x' }] },
    };
    assert.equal(getResourceHealth(pod)?.status, 'Unknown');
  });
});

describe('aggregateHealth', () => {
  const table: { name: string; given: (HealthStatusCode | undefined)[]; want: HealthStatusCode }[] =
    [
      { name: 'nothing is healthy', given: [], want: 'Healthy' },
      {
        name: 'objects without health are skipped',
        given: [undefined, 'Healthy'],
        want: 'Healthy',
      },
      { name: 'suspended beats healthy', given: ['Healthy', 'Suspended'], want: 'Suspended' },
      {
        name: 'progressing beats suspended',
        given: ['Suspended', 'Progressing'],
        want: 'Progressing',
      },
      { name: 'missing beats progressing', given: ['Progressing', 'Missing'], want: 'Missing' },
      {
        name: 'degraded beats missing',
        given: ['Missing', 'Degraded', 'Healthy'],
        want: 'Degraded',
      },
      { name: 'unknown is worst', given: ['Degraded', 'Unknown'], want: 'Unknown' },
    ];
  for (const c of table) {
    it(c.name, () => {
      assert.equal(aggregateHealth(c.given), c.want);
    });
  }
  it('orders by healthOrder', () => {
    assert.equal(isWorseHealth('Degraded', 'Healthy'), true);
    assert.equal(isWorseHealth('Healthy', 'Degraded'), false);
  });
});
