import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from '../../src/kube/index.js';
import type { KubeClient } from '../../src/kube/index.js';
import { installCrds, kube, tempNamespace } from '../support/kube.js';

const apps = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const projects = { group: 'argoproj.io', version: 'v1alpha1', resource: 'appprojects' } as const;
const appsets = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applicationsets' } as const;

function guestbook(ns: string, name = 'guestbook'): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
    spec: {
      project: 'default',
      source: {
        repoURL: 'https://github.com/argoproj/argocd-example-apps.git',
        targetRevision: 'HEAD',
        path: 'guestbook',
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
      },
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected a KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the API server to reject the object');
}

describe('argoproj.io CRDs on a real kube-apiserver', () => {
  let k: KubeClient;
  let ns: { name: string; cleanup: () => Promise<void> };
  before(async () => {
    k = await kube();
    await installCrds();
    ns = await tempNamespace('crds');
  });
  after(async () => {
    await ns.cleanup();
  });

  it('installs all three CRDs as Established and serves them by discovery', async () => {
    for (const kind of ['Application', 'AppProject', 'ApplicationSet']) {
      const info = await k.resourceFor('argoproj.io/v1alpha1', kind);
      assert.equal(info.namespaced, true);
    }
  });

  it('accepts an ordinary Application and keeps its fields', async () => {
    const created = await k.create<{
      spec: { syncPolicy: { retry: { backoff: { factor: number } } } };
    }>({ ...apps, namespace: ns.name }, guestbook(ns.name));
    assert.equal(created.spec.syncPolicy.retry.backoff.factor, 2);
  });

  it('accepts an exported Application with status and operation, status stored with the object', async () => {
    const exported = {
      ...guestbook(ns.name, 'exported'),
      operation: {
        sync: { revision: 'HEAD', prune: true, syncStrategy: { hook: {} } },
        initiatedBy: { username: 'admin' },
      },
      status: {
        sync: {
          status: 'Synced',
          revision: 'abc123',
          comparedTo: {
            source: { repoURL: 'https://x/y.git' },
            destination: { server: 'https://kubernetes.default.svc' },
          },
        },
        health: { status: 'Healthy' },
        resources: [
          {
            group: 'apps',
            version: 'v1',
            kind: 'Deployment',
            namespace: 'guestbook',
            name: 'ui',
            status: 'Synced',
            health: { status: 'Healthy' },
          },
        ],
        history: [
          {
            revision: 'abc123',
            deployedAt: '2026-01-01T00:00:00Z',
            id: 0,
            source: { repoURL: 'https://x/y.git' },
          },
        ],
        operationState: {
          operation: { sync: { revision: 'abc123' } },
          phase: 'Succeeded',
          startedAt: '2026-01-01T00:00:00Z',
          finishedAt: '2026-01-01T00:00:05Z',
          syncResult: {
            revision: 'abc123',
            resources: [
              {
                group: 'apps',
                version: 'v1',
                kind: 'Deployment',
                namespace: 'guestbook',
                name: 'ui',
                status: 'Synced',
                message: 'configured',
                hookPhase: 'Running',
                syncPhase: 'Sync',
              },
            ],
          },
        },
        reconciledAt: '2026-01-01T00:00:06Z',
        sourceType: 'Directory',
        summary: { images: ['nginx:1.25'] },
      },
    };
    const created = await k.create<{ status: { sync: { status: string } }; operation: unknown }>(
      { ...apps, namespace: ns.name },
      exported,
    );
    assert.equal(created.status.sync.status, 'Synced');
    assert.ok(created.operation);
  });

  it('accepts an AppProject with empty group strings, roles and tokens', async () => {
    const proj = await k.create<{ spec: { clusterResourceWhitelist: { group: string }[] } }>(
      { ...projects, namespace: ns.name },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'team-a', namespace: ns.name },
        spec: {
          description: 'team a',
          sourceRepos: ['https://github.com/team-a/*', '!https://github.com/team-a/secret'],
          destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a-*' }],
          clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
          namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
          roles: [
            {
              name: 'ci',
              policies: ['p, proj:team-a:ci, applications, sync, team-a/*, allow'],
              jwtTokens: [{ iat: 1700000000, id: 'tok-1' }],
              groups: ['team-a-admins'],
            },
          ],
          syncWindows: [
            { kind: 'allow', schedule: '10 1 * * *', duration: '1h', applications: ['*'] },
          ],
        },
        status: { jwtTokensByRole: { ci: { items: [{ iat: 1700000000, id: 'tok-1' }] } } },
      },
    );
    assert.equal(proj.spec.clusterResourceWhitelist[0]?.group, '');
  });

  it('accepts an ApplicationSet, whose status is a subresource', async () => {
    const created = await k.create<{ metadata: { name: string } }>(
      { ...appsets, namespace: ns.name },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'ApplicationSet',
        metadata: { name: 'guestbooks', namespace: ns.name },
        spec: {
          goTemplate: true,
          generators: [
            { list: { elements: [{ cluster: 'dev', url: 'https://kubernetes.default.svc' }] } },
          ],
          template: {
            metadata: { name: '{{.cluster}}-guestbook' },
            spec: {
              project: 'default',
              source: { repoURL: 'https://x/y.git', path: 'guestbook', targetRevision: 'HEAD' },
              destination: { server: '{{.url}}', namespace: 'guestbook' },
            },
          },
        },
        status: {
          conditions: [
            {
              type: 'ErrorOccurred',
              status: 'False',
              message: 'ok',
              reason: 'ApplicationSetUpToDate',
            },
          ],
        },
      },
    );
    assert.equal(created.metadata.name, 'guestbooks');
    const live = await k.get<{ status?: unknown }>({
      ...appsets,
      namespace: ns.name,
      name: 'guestbooks',
    });
    assert.equal(live.status, undefined, 'status is ignored on create when it is a subresource');
  });

  it('rejects an Application without spec.project, naming the field', async () => {
    const bad = guestbook(ns.name, 'no-project');
    delete (bad.spec as Record<string, unknown>).project;
    const err = await rejection(k.create({ ...apps, namespace: ns.name }, bad));
    assert.equal(err.status, 422);
    assert.match(err.message, /spec\.project/);
  });

  it('rejects a wrongly typed field, naming it', async () => {
    const bad = guestbook(ns.name, 'bad-type');
    (bad.spec as Record<string, unknown>).destination = { server: 42 };
    const err = await rejection(k.create({ ...apps, namespace: ns.name }, bad));
    assert.equal(err.status, 422);
    assert.match(err.message, /spec\.destination\.server/);
  });

  it('rejects an AppProject whose token iat is not an integer', async () => {
    const err = await rejection(
      k.create(
        { ...projects, namespace: ns.name },
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'bad', namespace: ns.name },
          spec: { roles: [{ name: 'r', jwtTokens: [{ iat: 'yesterday' }] }] },
        },
      ),
    );
    assert.match(err.message, /iat/);
  });
});
