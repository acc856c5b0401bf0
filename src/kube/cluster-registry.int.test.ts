/**
 * Cluster Secrets → connections → one client and cache per cluster, against the real API server:
 * a ServiceAccount token Secret filled by kube-controller-manager's token controller is the
 * credential, exactly as `argocd cluster add` sets a cluster up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  Labels,
  SecretTypes,
  clusterFromSecret,
  decodeSecretData,
  type Cluster,
  encodeSecretData,
  type KubeObject,
  type Secret,
} from '../apis/index.js';
import {
  ClusterRegistry,
  KubeApiError,
  KubeClient,
  KubeConfigError,
  connectionFromCluster,
  type ClusterChange,
} from './index.js';
import { waitFor } from '../../test/support/crd.js';
import { kube, tempNamespace } from '../../test/support/kube.js';

const secrets = { group: '', version: 'v1', resource: 'secrets' } as const;

describe('ClusterRegistry with cluster Secrets', () => {
  let k: KubeClient;
  let ns: { name: string; cleanup: () => Promise<void> };
  let token = '';
  let caPem = '';

  before(async () => {
    k = await kube();
    ns = await tempNamespace('clusters');
    // what `argocd cluster add` creates: a ServiceAccount with rights, and its token Secret
    await k.create(
      { group: '', version: 'v1', resource: 'serviceaccounts', namespace: ns.name },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'argocd-manager' } },
    );
    await k.create(
      {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        resource: 'rolebindings',
        namespace: ns.name,
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'argocd-manager' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'argocd-manager', namespace: ns.name }],
      },
    );
    await k.create(
      { ...secrets, namespace: ns.name },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'argocd-manager-token',
          annotations: { 'kubernetes.io/service-account.name': 'argocd-manager' },
        },
        type: 'kubernetes.io/service-account-token',
      },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await k.get<Secret>({
        ...secrets,
        namespace: ns.name,
        name: 'argocd-manager-token',
      });
      const d = decodeSecretData(s);
      if (d.token && d['ca.crt']) {
        token = d.token;
        caPem = d['ca.crt'];
        break;
      }
      assert.ok(Date.now() < deadline, 'the token controller filled the ServiceAccount token');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await ns.cleanup();
  });

  function clusterSecret(
    name: string,
    server: string,
    extra: Record<string, string> = {},
  ): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns.name, labels: { [Labels.secretType]: SecretTypes.cluster } },
      data: encodeSecretData({
        name,
        server,
        namespaces: ns.name,
        config: JSON.stringify({
          bearerToken: token,
          tlsClientConfig: { caData: Buffer.from(caPem).toString('base64') },
        }),
        ...extra,
      }),
    };
  }

  it('connects with the token of a cluster Secret, rebuilds on change and closes on delete', async () => {
    const changes: [string, ClusterChange][] = [];
    const registry = new ClusterRegistry({
      inClusterEnabled: false,
      onChange: (server, change) => changes.push([server, change]),
    });
    const server = k.server;
    try {
      await k.create({ ...secrets, namespace: ns.name }, clusterSecret('target', server));
      await registry.watchSecrets(k, ns.name);
      assert.deepEqual(
        registry.list().map((c) => c.name),
        ['target'],
      );
      assert.equal(registry.getByName('target')?.server, server);

      const h = await registry.acquire(server);
      await h.cache.ensureWatching({ group: '', kind: 'ConfigMap' });
      await k.create(
        { group: '', version: 'v1', resource: 'configmaps', namespace: ns.name },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'seen-by-token', namespace: ns.name },
        },
      );
      await waitFor(
        'the token-authenticated cache sees the new ConfigMap',
        () =>
          h.cache.get({
            group: '',
            kind: 'ConfigMap',
            namespace: ns.name,
            name: 'seen-by-token',
          }) !== undefined,
      );
      assert.equal(await registry.acquire(server), h, 'one client and cache per cluster');

      // the ServiceAccount may not read Secrets cluster-wide: the error carries no token
      await assert.rejects(h.client.list(secrets), (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.status, 403);
        assert.ok(!err.message.includes(token));
        assert.ok(!inspect(err, { depth: 10 }).includes(token));
        return true;
      });

      // a changed Secret replaces the client and cache
      await k.patch(
        { ...secrets, namespace: ns.name, name: 'target' },
        { data: encodeSecretData({ namespaces: `${ns.name},default` }) },
      );
      await waitFor('the change is noticed', () => changes.some(([, c]) => c === 'updated'));
      const h2 = await registry.acquire(server);
      assert.notEqual(h2, h);
      assert.deepEqual(h2.cluster.namespaces, [ns.name, 'default']);
      await assert.rejects(h.cache.ensureWatching({ group: '', kind: 'Secret' }), /stopped/);

      // a deleted Secret forgets the cluster
      await k.delete({ ...secrets, namespace: ns.name, name: 'target' });
      await waitFor('the delete is noticed', () => changes.some(([, c]) => c === 'removed'));
      await assert.rejects(registry.acquire(server), (err: unknown) => {
        assert.ok(err instanceof KubeConfigError);
        assert.match(err.message, /no cluster Secret names this server/);
        return true;
      });
      assert.deepEqual(
        changes.map(([, c]) => c),
        ['added', 'updated', 'removed'],
      );
    } finally {
      await registry.close();
    }
  });

  it('never shows the token when the cluster cannot be reached', async () => {
    // a loopback port that was free a moment ago: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const dead = `https://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const registry = new ClusterRegistry({
      inClusterEnabled: false,
      clientOptions: { retry: { maxRetries: 0 } },
    });
    try {
      const secret = clusterSecret('dead', dead);
      registry.upsert(connectionTarget(secret));
      const h = await registry.acquire(dead);
      await assert.rejects(
        h.cache.ensureWatching({ group: '', kind: 'ConfigMap' }),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.match(
            err.message,
            /failed to reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+/,
          );
          assert.ok(!err.message.includes(token), err.message);
          assert.ok(!inspect(err, { depth: 10 }).includes(token));
          return true;
        },
      );
      const direct = new KubeClient(connectionFromCluster(connectionTarget(secret)), {
        retry: { maxRetries: 0 },
      });
      await assert.rejects(direct.list(secrets), (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.ok(!err.message.includes(token));
        return true;
      });
      direct.close();
    } finally {
      await registry.close();
    }
  });
});

function connectionTarget(secret: KubeObject): Cluster {
  return clusterFromSecret(secret);
}
