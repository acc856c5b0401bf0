/**
 * Audit Events against the real API server: the object Argo CD would write (name, involved object,
 * source component, annotations), sanitised messages, and the reason filter of --enable-k8s-event.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../apis/index.js';
import { EventReasons, EventRecorder, buildEvent, recordEvent, type KubeClient } from './index.js';
import { kube, tempNamespace } from '../../test/support/kube.js';

const app = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  name: 'guestbook',
  uid: '4a7c1a1e-0000-4000-8000-000000000001',
};

describe('audit events', () => {
  it('are named <object>.<hex unix nanoseconds> and carry user and destination annotations', () => {
    const ev = buildEvent(
      {
        involvedObject: { ...app, namespace: 'argocd' },
        reason: EventReasons.OperationStarted,
        message: 'admin initiated sync to HEAD (abc123)',
        component: 'argocd-server',
        user: 'admin',
        destServer: 'https://kubernetes.default.svc',
        destNamespace: 'guestbook',
      },
      { nowNs: () => 1_700_000_000_123_456_789n },
    );
    assert.equal(ev.metadata.name, `guestbook.${1_700_000_000_123_456_789n.toString(16)}`);
    assert.equal(ev.metadata.namespace, 'argocd');
    assert.deepEqual(ev.metadata.annotations, {
      user: 'admin',
      'dest-server': 'https://kubernetes.default.svc',
      'dest-namespace': 'guestbook',
    });
    assert.deepEqual(ev.source, { component: 'argocd-server' });
    assert.equal(ev.firstTimestamp, '2023-11-14T22:13:20Z');
    assert.equal(ev.reason, 'OperationStarted');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.count, 1);
  });

  it('strip credentials from messages and annotations', () => {
    const ev = buildEvent(
      {
        involvedObject: { ...app, namespace: 'argocd' },
        reason: EventReasons.ResourceUpdated,
        message: 'admin updated source to https://bob:hunter2@git.example/repo.git?token=abc',
        component: 'argocd-server',
        destServer: 'https://user:pw123@cluster.example',
      },
      { nowNs: () => 1n },
    );
    assert.ok(!String(ev.message).includes('hunter2'));
    assert.ok(!String(ev.message).includes('token=abc'));
    assert.ok(!(ev.metadata.annotations?.['dest-server'] ?? '').includes('pw123'));
  });

  describe('against the API server', () => {
    let k: KubeClient;
    let ns: { name: string; cleanup: () => Promise<void> };
    before(async () => {
      k = await kube();
      ns = await tempNamespace('events');
    });
    after(async () => {
      await ns.cleanup();
    });

    it('records an Event that kubectl get events shows with its reason, source and message', async () => {
      const created = await recordEvent(k, {
        involvedObject: { ...app, namespace: ns.name },
        reason: EventReasons.ResourceCreated,
        message: 'admin created application',
        component: 'argocd-server',
        user: 'admin',
        destServer: 'https://kubernetes.default.svc',
        destNamespace: 'guestbook',
      });
      const live = await k.get<
        KubeObject & {
          reason: string;
          message: string;
          source: { component: string };
          involvedObject: { kind: string; name: string; uid: string };
        }
      >({
        group: '',
        version: 'v1',
        resource: 'events',
        namespace: ns.name,
        name: created.metadata.name ?? '',
      });
      assert.match(live.metadata.name ?? '', /^guestbook\.[0-9a-f]+$/);
      assert.equal(live.reason, 'ResourceCreated');
      assert.equal(live.message, 'admin created application');
      assert.equal(live.source.component, 'argocd-server');
      assert.deepEqual(
        {
          kind: live.involvedObject.kind,
          name: live.involvedObject.name,
          uid: live.involvedObject.uid,
        },
        { kind: 'Application', name: 'guestbook', uid: app.uid },
      );
      assert.equal(live.metadata.annotations?.user, 'admin');
    });

    it('records only the enabled reasons and never throws when recording fails', async () => {
      const warnings: string[] = [];
      const recorder = new EventRecorder(k, {
        component: 'argocd-application-controller',
        enabled: [EventReasons.OperationCompleted],
        log: (level, message) => warnings.push(`${level}: ${message}`),
      });
      assert.equal(
        await recorder.record({
          involvedObject: { ...app, namespace: ns.name },
          reason: EventReasons.StatusRefreshed,
          message: 'x',
        }),
        undefined,
      );
      const done = await recorder.record({
        involvedObject: { ...app, namespace: ns.name },
        reason: EventReasons.OperationCompleted,
        message: 'Sync operation to abc succeeded',
      });
      assert.equal(
        (done as { source?: { component?: string } } | undefined)?.source?.component,
        'argocd-application-controller',
      );
      // a namespace that does not exist: the API server refuses, the recorder logs and goes on
      const failed = await recorder.record({
        involvedObject: { ...app, namespace: `${ns.name}-missing` },
        reason: EventReasons.OperationCompleted,
        message: 'y',
      });
      assert.equal(failed, undefined);
      assert.deepEqual(warnings, ['warn: failed to record an audit event']);
      const none = new EventRecorder(k, { component: 'argocd-server', enabled: 'none' });
      assert.equal(none.isEnabled(EventReasons.ResourceCreated), false);
    });
  });
});
