/**
 * KubeApplier against the real kube-apiserver: server-side apply with field manager
 * argocd-controller, server-side dry run, scope from discovery, missing CRDs, create with
 * generateName, replace, delete with propagation (finished by kube-controller-manager's GC).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../apis/index.js';
import { KubeApplier, isNotFound, type KubeClient } from './index.js';
import { createCrd, deleteCrd, widgetCrd } from '../../test/support/crd.js';
import { kube, tempNamespace } from '../../test/support/kube.js';

const configmaps = { group: '', version: 'v1', resource: 'configmaps' } as const;

function cm(name: string, data: Record<string, string>, namespace?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    data,
  };
}

async function exists(k: KubeClient, ref: Parameters<KubeClient['get']>[0]): Promise<boolean> {
  try {
    await k.get(ref);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

describe('KubeApplier', () => {
  let k: KubeClient;
  let applier: KubeApplier;
  let ns: { name: string; cleanup: () => Promise<void> };
  before(async () => {
    k = await kube();
    applier = new KubeApplier(k);
    ns = await tempNamespace('apply');
  });
  after(async () => {
    await ns.cleanup();
  });

  it('applies server-side as argocd-controller into the destination namespace', async () => {
    const first = await applier.apply(cm('app-config', { a: '1' }), { namespace: ns.name });
    assert.equal(first.ok, true, first.message);
    assert.equal(first.message, 'configmap/app-config created');
    assert.deepEqual(first.key, {
      group: '',
      kind: 'ConfigMap',
      namespace: ns.name,
      name: 'app-config',
    });
    const second = await applier.apply(cm('app-config', { a: '2' }), { namespace: ns.name });
    assert.equal(second.message, 'configmap/app-config serverside-applied');
    const live = await k.get<KubeObject & { data: Record<string, string> }>({
      ...configmaps,
      namespace: ns.name,
      name: 'app-config',
    });
    assert.equal(live.data.a, '2');
    const managers = (live.metadata.managedFields as { manager: string; operation: string }[]).map(
      (m) => `${m.manager}/${m.operation}`,
    );
    assert.deepEqual(managers, ['argocd-controller/Apply']);
  });

  it('runs a server-side dry run that validates and returns the result but changes nothing', async () => {
    await applier.apply(cm('dry', { a: '1' }), { namespace: ns.name });
    const dry = await applier.apply(cm('dry', { a: 'changed' }), {
      namespace: ns.name,
      dryRun: true,
    });
    assert.equal(dry.ok, true);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.message, 'configmap/dry serverside-applied (server dry run)');
    assert.deepEqual((dry.object as { data?: unknown } | undefined)?.data, { a: 'changed' });
    const live = await k.get<KubeObject & { data: Record<string, string> }>({
      ...configmaps,
      namespace: ns.name,
      name: 'dry',
    });
    assert.equal(live.data.a, '1');
    const fresh = await applier.apply(cm('never-created', { a: '1' }), {
      namespace: ns.name,
      dryRun: true,
    });
    assert.equal(fresh.ok, true);
    assert.equal(
      await exists(k, { ...configmaps, namespace: ns.name, name: 'never-created' }),
      false,
    );
    const invalid = await applier.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bad' },
        data: { a: 1 },
      },
      { namespace: ns.name, dryRun: true },
    );
    assert.equal(invalid.ok, false);
    assert.equal(invalid.code, 'ERR_KUBE_INTERNAL'); // v1.20 answers a mistyped field in SSA with 500
    assert.match(invalid.message, /\.data\.a: expected string/);
    assert.match(invalid.message, /failed to apply ConfigMap .*\/bad \(server dry run\)/);
  });

  it('takes the scope from discovery: strips the namespace of cluster-scoped objects, refuses namespaced objects without one', async () => {
    const role = await applier.apply(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `${ns.name}-reader`, namespace: 'ignored' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
      { namespace: ns.name },
    );
    assert.equal(role.ok, true, role.message);
    assert.equal(role.key.namespace, '');
    assert.equal(role.message, `clusterrole.rbac.authorization.k8s.io/${ns.name}-reader created`);
    await applier.delete(role.key);

    const orphan = await applier.apply(cm('nowhere', { a: '1' }));
    assert.equal(orphan.ok, false);
    assert.equal(orphan.code, 'ERR_KUBE_INVALID_OBJECT');
    assert.match(
      orphan.message,
      /ConfigMap is namespaced but neither the object nor the destination names a namespace/,
    );
  });

  it('reports a missing CRD as a failed result that names the kind', async () => {
    const r = await applier.apply(
      { apiVersion: 'nope.kubetest.argocd-ts.io/v1', kind: 'Gadget', metadata: { name: 'g' } },
      { namespace: ns.name, dryRun: true },
    );
    assert.equal(r.ok, false);
    assert.equal(r.code, 'ERR_KUBE_NOT_FOUND');
    assert.match(r.message, /Gadget/);
    assert.match(r.message, /is its CRD installed\?/);
  });

  it('applies many objects with bounded concurrency, one bad manifest not hiding the others', async () => {
    const objs = Array.from({ length: 30 }, (_, i) => cm(`bulk-${i}`, { i: String(i) }));
    objs[7] = { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} };
    const results = await new KubeApplier(k, { concurrency: 4 }).applyAll(objs, {
      namespace: ns.name,
    });
    assert.equal(results.length, 30);
    assert.equal(results.filter((r) => r.ok).length, 29);
    assert.equal(results[7]?.ok, false);
    assert.match(results[7].message, /needs metadata.name/);
    assert.equal(results[8]?.key.name, 'bulk-8', 'results keep the input order');
    const list = await k.list({ ...configmaps, namespace: ns.name });
    assert.equal(list.items.filter((o) => o.metadata.name?.startsWith('bulk-')).length, 29);
  });

  it('creates hooks with generateName and replaces objects with PUT (custom resources too)', async () => {
    const hook = await applier.create(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'presync-' },
        data: { x: '1' },
      },
      { namespace: ns.name },
    );
    assert.equal(hook.ok, true, hook.message);
    assert.match(hook.key.name, /^presync-[a-z0-9]{5}$/);
    assert.equal(hook.message, `configmap/${hook.key.name} created`);

    await applier.apply(cm('rep', { keep: '1', drop: '1' }), { namespace: ns.name });
    const replaced = await applier.replace(cm('rep', { keep: '2' }), { namespace: ns.name });
    assert.equal(replaced.ok, true, replaced.message);
    assert.equal(replaced.message, 'configmap/rep replaced');
    assert.deepEqual((replaced.object as { data?: unknown } | undefined)?.data, { keep: '2' });
    const absent = await applier.replace(cm('rep-new', { a: '1' }), { namespace: ns.name });
    assert.equal(absent.message, 'configmap/rep-new created');

    const crd = widgetCrd();
    try {
      await createCrd(k, crd);
      const widget = (size: number): KubeObject => ({
        apiVersion: `${crd.group}/v1`,
        kind: 'Widget',
        metadata: { name: 'w', namespace: ns.name },
        spec: { size },
      });
      assert.equal((await applier.replace(widget(1))).message, `widget.${crd.group}/w created`);
      const r = await applier.replace(widget(2));
      assert.equal(r.ok, true, r.message);
      assert.deepEqual((r.object as { spec?: unknown } | undefined)?.spec, { size: 2 });
    } finally {
      await deleteCrd(k, crd);
    }
  });

  it('deletes with foreground propagation: the Deployment waits for its ReplicaSet, which the GC removes', async () => {
    const applied = await applier.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx' }] },
          },
        },
      },
      { namespace: ns.name },
    );
    assert.equal(applied.ok, true, applied.message);
    const rsRef = { group: 'apps', version: 'v1', resource: 'replicasets', namespace: ns.name };
    const deadline = Date.now() + 20_000;
    while ((await k.list(rsRef)).items.length === 0) {
      assert.ok(Date.now() < deadline, 'the controller manager created a ReplicaSet');
      await new Promise((r) => setTimeout(r, 100));
    }
    const dry = await applier.delete(applied.key, { dryRun: true });
    assert.equal(dry.message, 'deployment.apps/web deleted (server dry run)');
    assert.equal(
      await exists(k, {
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        namespace: ns.name,
        name: 'web',
      }),
      true,
    );

    const del = await applier.delete(applied.key);
    assert.equal(del.ok, true, del.message);
    assert.equal(del.message, 'deployment.apps/web deleted');
    const live = await k
      .get({
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        namespace: ns.name,
        name: 'web',
      })
      .catch(() => undefined);
    if (live)
      assert.ok(
        live.metadata.finalizers?.includes('foregroundDeletion'),
        'foreground deletion in progress',
      );
    // the garbage collector deletes the ReplicaSet first, then releases the Deployment
    const end = Date.now() + 30_000;
    for (;;) {
      const rs = (await k.list(rsRef)).items.length;
      const dep = await exists(k, {
        group: 'apps',
        version: 'v1',
        resource: 'deployments',
        namespace: ns.name,
        name: 'web',
      });
      if (rs === 0 && !dep) break;
      if (rs > 0) assert.ok(dep, 'with foreground propagation the owner outlives its dependents');
      assert.ok(Date.now() < end, `still there: ${rs} ReplicaSets, deployment ${String(dep)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const again = await applier.delete(applied.key);
    assert.equal(again.ok, true);
    assert.equal(again.message, 'deployment.apps/web already deleted');
  });

  it('deletes many targets, by key or object, and reports each', async () => {
    await applier.applyAll([cm('d1', { a: '1' }), cm('d2', { a: '1' })], { namespace: ns.name });
    const results = await applier.deleteAll(
      [
        { group: '', kind: 'ConfigMap', namespace: ns.name, name: 'd1' },
        cm('d2', {}, ns.name),
        { group: '', kind: 'ConfigMap', namespace: '', name: 'no-namespace' },
      ],
      { propagationPolicy: 'Background' },
    );
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, true, false],
    );
    assert.match(results[2]?.message ?? '', /namespaced but no namespace/);
    assert.equal(await exists(k, { ...configmaps, namespace: ns.name, name: 'd1' }), false);
  });
});
