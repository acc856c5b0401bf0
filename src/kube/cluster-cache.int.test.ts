/**
 * ClusterCache against the real kube-apiserver: initial list, ordered events, indices, CRD kinds
 * added on demand, relist after a real 410 Gone, restart with backoff when the connection breaks,
 * exclusions and inclusions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../apis/index.js';
import {
  ClusterCache,
  KubeCacheError,
  KubeClient,
  ResourceFilterSet,
  formatTrackingId,
  type ResourceKey,
} from './index.js';
import { createCrd, deleteCrd, waitFor, widgetCrd } from '../../test/support/crd.js';
import { kube, tempNamespace } from '../../test/support/kube.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';

const configmaps = { group: '', version: 'v1', resource: 'configmaps' } as const;

interface Seen {
  readonly kind: string;
  readonly name: string;
  readonly type: 'add' | 'update' | 'delete';
  readonly uid: string | undefined;
}

function recorder(cache: ClusterCache): Seen[] {
  const seen: Seen[] = [];
  cache.onResourceUpdated((key: ResourceKey, obj, old) => {
    seen.push({
      kind: key.kind,
      name: key.name,
      type: obj === undefined ? 'delete' : old === undefined ? 'add' : 'update',
      uid: (obj ?? old)?.metadata.uid,
    });
  });
  return seen;
}

function cm(ns: string, name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...extra },
    data: { v: '1' },
  };
}

/** A client of the shared cluster (its own sockets), optionally through a proxy port. */
async function clientFor(proxy?: TcpProxy): Promise<KubeClient> {
  const admin = await kube();
  const conn = admin.connection;
  return new KubeClient(proxy ? { ...conn, server: `https://127.0.0.1:${proxy.port}` } : conn, {
    retry: { maxRetries: 0 },
  });
}

async function proxyToCluster(): Promise<TcpProxy> {
  const url = new URL((await kube()).server);
  return TcpProxy.start(url.hostname, Number(url.port));
}

describe('ClusterCache', () => {
  let k: KubeClient;
  let ns: { name: string; cleanup: () => Promise<void> };
  before(async () => {
    k = await kube();
    ns = await tempNamespace('cache');
  });
  after(async () => {
    await ns.cleanup();
  });

  it('lists, then delivers add, update and delete in order, and keeps compact objects', async () => {
    await k.apply(
      cm(ns.name, 'pre', {
        annotations: {
          'argocd.argoproj.io/tracking-id': formatTrackingId('shop', {
            group: '',
            kind: 'ConfigMap',
            namespace: ns.name,
            name: 'pre',
          }),
          'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}',
        },
        labels: { 'app.kubernetes.io/instance': 'shop' },
      }),
      { fieldManager: 'argocd-controller' },
    );
    await k.patch(
      { ...configmaps, namespace: ns.name, name: 'pre' },
      { data: { other: 'x' } },
      { fieldManager: 'kubectl-edit' },
    );
    const client = await clientFor();
    const cache = new ClusterCache({ client, namespaces: [ns.name] });
    const seen = recorder(cache);
    try {
      await cache.ensureWatching({ group: '', kind: 'ConfigMap' });
      const pre = cache.get({ group: '', kind: 'ConfigMap', namespace: ns.name, name: 'pre' });
      assert.ok(pre, 'the initial list filled the cache');
      assert.equal(pre.apiVersion, 'v1');
      assert.equal(pre.kind, 'ConfigMap');
      assert.deepEqual(
        (pre.metadata.managedFields as { manager: string }[]).map((m) => m.manager),
        ['argocd-controller'],
        'only the controller’s managedFields are kept',
      );
      assert.equal(
        pre.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
        undefined,
      );
      assert.deepEqual(
        cache.byApp('shop').map((o) => o.metadata.name),
        ['pre'],
      );
      assert.deepEqual(
        cache.byInstance('shop').map((o) => o.metadata.name),
        ['pre'],
      );
      assert.ok(cache.size() >= 1);
      assert.ok(cache.approximateBytes() > 0);

      const ref = { ...configmaps, namespace: ns.name };
      await k.create(ref, cm(ns.name, 'b'));
      await k.patch({ ...ref, name: 'b' }, { data: { v: '2' } });
      await k.patch({ ...ref, name: 'b' }, { data: { v: '3' } });
      await k.delete({ ...ref, name: 'b' });
      await waitFor('the delete of b arrives', () =>
        seen.some((s) => s.name === 'b' && s.type === 'delete'),
      );
      assert.deepEqual(
        seen.filter((s) => s.name === 'b').map((s) => s.type),
        ['add', 'update', 'update', 'delete'],
      );
      assert.equal(
        cache.get({ group: '', kind: 'ConfigMap', namespace: ns.name, name: 'b' }),
        undefined,
      );
      assert.equal(cache.stats().relists, 0);
    } finally {
      await cache.stop();
      client.close();
    }
  });

  it('indexes owners (the Deployment → ReplicaSet chain built by the controller manager) and ignores copied tracking ids', async () => {
    const client = await clientFor();
    const cache = new ClusterCache({ client, namespaces: [ns.name] });
    try {
      await Promise.all([
        cache.ensureWatching({ group: 'apps', kind: 'Deployment' }),
        cache.ensureWatching({ group: 'apps', kind: 'ReplicaSet' }),
        cache.ensureWatching({ group: '', kind: 'ConfigMap' }),
      ]);
      const deploy = await k.apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: ns.name },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx' }] },
            },
          },
        },
        { fieldManager: 'argocd-controller' },
      );
      const uid = deploy.metadata.uid ?? '';
      await waitFor(
        'the Deployment and its ReplicaSet are cached (they arrive on separate watches)',
        () => cache.children(uid).length > 0 && cache.byUid(uid) !== undefined,
      );
      const rs = cache.children(uid)[0];
      assert.equal(rs?.kind, 'ReplicaSet');
      assert.equal(cache.byUid(uid)?.metadata.name, 'web');
      assert.equal(cache.isNamespaced('apps', 'ReplicaSet'), true);

      // a tracking id copied from another object does not make this one part of the app
      await k.create(
        { ...configmaps, namespace: ns.name },
        cm(ns.name, 'copy', {
          annotations: {
            'argocd.argoproj.io/tracking-id': formatTrackingId('other', {
              group: '',
              kind: 'ConfigMap',
              namespace: ns.name,
              name: 'original',
            }),
          },
        }),
      );
      await waitFor(
        'copy is cached',
        () =>
          cache.get({ group: '', kind: 'ConfigMap', namespace: ns.name, name: 'copy' }) !==
          undefined,
      );
      assert.deepEqual(cache.byApp('other'), []);
    } finally {
      await cache.stop();
      client.close();
    }
  });

  it('adds a CRD kind on demand once the CRD exists, and says clearly when it does not', async () => {
    const crd = widgetCrd();
    const client = await clientFor();
    const cache = new ClusterCache({ client, namespaces: [ns.name] });
    try {
      await assert.rejects(
        cache.ensureWatching({ group: crd.group, kind: 'Widget' }),
        (err: unknown) =>
          err instanceof KubeCacheError &&
          err.code === 'ERR_KUBE_CACHE_NOT_SERVED' &&
          err.message.includes(`Widget.${crd.group}`) &&
          /CRD installed/.test(err.message),
      );
      await createCrd(k, crd);
      const ref = {
        group: crd.group,
        version: crd.version,
        resource: crd.resource,
        namespace: ns.name,
      };
      await k.create(ref, {
        apiVersion: `${crd.group}/v1`,
        kind: 'Widget',
        metadata: { name: 'w1', namespace: ns.name },
        spec: { size: 1 },
      });
      await cache.ensureWatching({ group: crd.group, kind: 'Widget' });
      assert.equal(
        cache.get({ group: crd.group, kind: 'Widget', namespace: ns.name, name: 'w1' })?.spec !==
          undefined,
        true,
      );
      await k.create(ref, {
        apiVersion: `${crd.group}/v1`,
        kind: 'Widget',
        metadata: { name: 'w2', namespace: ns.name },
      });
      await waitFor(
        'w2 arrives by watch',
        () => cache.list({ group: crd.group, kind: 'Widget' }).length === 2,
      );
    } finally {
      await cache.stop();
      client.close();
      await deleteCrd(k, crd);
    }
  });

  it('relists after a real 410 Gone and reports exactly the differences', async () => {
    // The API server answers 410 "too old resource version" when a watch resumes from a version
    // older than its watch cache. This v1.20 server grows that cache instead of dropping events
    // under load, but a re-created CRD gets a fresh one: resuming a watch across the re-creation
    // gets a genuine 410, as after an API server restart.
    const crd = widgetCrd();
    await createCrd(k, crd);
    const proxy = await proxyToCluster();
    const client = await clientFor(proxy);
    const cache = new ClusterCache({
      client,
      namespaces: [ns.name],
      watch: { backoff: { initialMs: 100, maxMs: 400 } },
    });
    const seen = recorder(cache);
    const ref = {
      group: crd.group,
      version: crd.version,
      resource: crd.resource,
      namespace: ns.name,
    };
    const widget = (name: string): KubeObject => ({
      apiVersion: `${crd.group}/v1`,
      kind: 'Widget',
      metadata: { name, namespace: ns.name },
    });
    try {
      await k.create(ref, widget('keep'));
      await k.create(ref, widget('gone'));
      await cache.ensureWatching({ group: crd.group, kind: 'Widget' });
      const oldKeep = cache.get({
        group: crd.group,
        kind: 'Widget',
        namespace: ns.name,
        name: 'keep',
      });
      assert.ok(oldKeep);
      assert.equal(cache.list({ group: crd.group, kind: 'Widget' }).length, 2);

      proxy.block(); // the cache is cut off while everything changes
      await deleteCrd(k, crd);
      await createCrd(k, crd);
      await k.create(ref, widget('keep'));
      await k.create(ref, widget('new'));
      seen.length = 0;
      proxy.unblock();

      await waitFor('the cache relisted', () => cache.stats().relists >= 1, 30_000);
      await waitFor(
        'the cache shows the new state',
        () =>
          cache
            .list({ group: crd.group, kind: 'Widget' })
            .map((o) => o.metadata.name)
            .sort()
            .join() === 'keep,new',
      );
      const byName = (n: string): Seen[] => seen.filter((s) => s.name === n);
      assert.deepEqual(
        byName('gone').map((s) => s.type),
        ['delete'],
      );
      assert.deepEqual(
        byName('new').map((s) => s.type),
        ['add'],
      );
      assert.deepEqual(
        byName('keep').map((s) => s.type),
        ['update'],
      );
      const newKeep = cache.get({
        group: crd.group,
        kind: 'Widget',
        namespace: ns.name,
        name: 'keep',
      });
      assert.notEqual(
        newKeep?.metadata.uid,
        oldKeep.metadata.uid,
        're-created object replaced the old one',
      );
      const live = await k.list(ref);
      assert.deepEqual(
        cache
          .list({ group: crd.group, kind: 'Widget' })
          .map((o) => o.metadata.resourceVersion)
          .sort(),
        live.items.map((o) => o.metadata.resourceVersion).sort(),
        'cache and server agree',
      );
      assert.match(
        cache.stats().perWatch[0]?.lastError ?? '',
        /too old resource version|not serve|connection/,
      );
    } finally {
      await cache.stop();
      client.close();
      await proxy.close();
      await deleteCrd(k, crd);
    }
  });

  it('restarts with backoff after the connection breaks, without a hot loop, and catches up', async () => {
    const proxy = await proxyToCluster();
    const client = await clientFor(proxy);
    const cache = new ClusterCache({
      client,
      namespaces: [ns.name],
      watch: { backoff: { initialMs: 100, maxMs: 800 } },
    });
    try {
      await cache.ensureWatching({ group: '', kind: 'ConfigMap' });
      proxy.block();
      const refusedBefore = proxy.refused;
      await new Promise((r) => setTimeout(r, 3000));
      const attempts = proxy.refused - refusedBefore;
      await k.create({ ...configmaps, namespace: ns.name }, cm(ns.name, 'during-outage'));
      proxy.unblock();
      // 100 ms doubling to 800 ms (jittered down to half at most) allows about ten tries in 3 s
      assert.ok(attempts >= 2, `retried (${attempts} attempts)`);
      assert.ok(attempts <= 12, `no hot loop (${attempts} attempts in 3 s)`);
      await waitFor(
        'the object created during the outage arrives',
        () =>
          cache.get({ group: '', kind: 'ConfigMap', namespace: ns.name, name: 'during-outage' }) !==
          undefined,
      );
      const s = cache.stats();
      assert.ok(s.restarts >= 2, `restarts ${s.restarts}`);
      assert.equal(s.synced, true);
    } finally {
      await cache.stop();
      client.close();
      await proxy.close();
    }
  });

  it('relists periodically when asked, reporting nothing when nothing changed', async () => {
    await k.create({ ...configmaps, namespace: ns.name }, cm(ns.name, 'steady'));
    const client = await clientFor();
    const cache = new ClusterCache({
      client,
      namespaces: [ns.name],
      watch: { timeoutSeconds: 4, resyncIntervalMs: 500 },
    });
    const seen = recorder(cache);
    try {
      await cache.ensureWatching({ group: '', kind: 'ConfigMap' });
      const initial = seen.length;
      await waitFor(
        'a second full list',
        () => (cache.stats().perWatch[0]?.lists ?? 0) >= 2,
        15_000,
      );
      assert.equal(seen.length, initial, 'an unchanged relist emits no events');
      assert.ok(cache.get({ group: '', kind: 'ConfigMap', namespace: ns.name, name: 'steady' }));
    } finally {
      await cache.stop();
      client.close();
    }
  });

  it('follows every kind but never Events, excluded kinds or kinds outside the inclusions', async () => {
    const client = await clientFor();
    await k.create(
      { group: '', version: 'v1', resource: 'events', namespace: ns.name },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'noise', namespace: ns.name },
        involvedObject: { kind: 'ConfigMap', name: 'x', namespace: ns.name },
        reason: 'Test',
        message: 'noise',
      },
    );
    const cache = new ClusterCache({
      client,
      namespaces: [ns.name],
      filter: new ResourceFilterSet({
        exclusions: [{ apiGroups: [''], kinds: ['Secret'], clusters: [] }],
      }),
    });
    const narrow = new ClusterCache({
      client,
      namespaces: [ns.name],
      filter: new ResourceFilterSet({
        inclusions: [{ apiGroups: ['apps'], kinds: [], clusters: [] }],
      }),
    });
    try {
      await cache.start();
      assert.ok(cache.isWatching({ group: '', kind: 'ConfigMap' }));
      assert.ok(cache.isWatching({ group: 'apps', kind: 'Deployment' }));
      assert.equal(cache.isWatching({ group: '', kind: 'Event' }), false);
      assert.equal(cache.isWatching({ group: 'events.k8s.io', kind: 'Event' }), false);
      assert.equal(cache.isWatching({ group: 'coordination.k8s.io', kind: 'Lease' }), false);
      assert.equal(cache.isWatching({ group: '', kind: 'Secret' }), false);
      assert.equal(
        cache.isWatching({ group: '', kind: 'Namespace' }),
        false,
        'cluster-scoped kinds are skipped when restricted to namespaces',
      );
      assert.equal(cache.list({ kind: 'Event' }).length, 0);
      await assert.rejects(
        cache.ensureWatching({ group: '', kind: 'Secret' }),
        (err: unknown) => err instanceof KubeCacheError && err.code === 'ERR_KUBE_CACHE_EXCLUDED',
      );
      await assert.rejects(
        cache.ensureWatching({ group: '', kind: 'Event' }),
        (err: unknown) => err instanceof KubeCacheError && err.code === 'ERR_KUBE_CACHE_EXCLUDED',
      );
      assert.ok(cache.isSynced());

      await narrow.start();
      const kinds = narrow.watchedKinds();
      assert.ok(kinds.length > 0);
      assert.ok(
        kinds.every((g) => g.group === 'apps'),
        JSON.stringify(kinds),
      );
    } finally {
      await cache.stop();
      await narrow.stop();
      client.close();
    }
  });
});
