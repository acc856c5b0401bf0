/**
 * `GET /api/v1/applications/{name}/logs` against the real API server and kube-apiserver. Pods never
 * run on the test cluster (no scheduler, no kubelet): the pod log API answers an empty log for a
 * pod without a node, and an error for a container the pod does not have, which the endpoint must
 * pass on as a clear API error (not an empty stream). Also: RBAC (`applications get`, then `logs get`; a forbidden app answers as a missing
 * one), a pod that is not the app's, and the stream shape (`data: {"result": ...}`, ended by
 * `last: true`) for a resource without pods.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apis/index.js';
import { tempNamespace } from '../support/kube.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const IN_CLUSTER = 'https://kubernetes.default.svc';

describe('argocd-server application logs', () => {
  let srv: TestApiServer;
  let dest: { name: string; cleanup: () => Promise<void> };
  const tokens: Record<string, string> = {};
  const track = (kind: string, name: string): Record<string, string> => ({
    'argocd.argoproj.io/tracking-id': `web:/${kind}:${dest.name}/${name}`,
  });
  const logs = (query: string, who: string, accept?: string) =>
    srv.request('GET', `/api/v1/applications/web/logs?${query}`, {
      token: tokens[who] ?? '',
      ...(accept !== undefined ? { headers: { accept } } : {}),
    });

  before(async () => {
    dest = await tempNamespace('apps-logs');
    srv = await startTestApiServer({
      namePrefix: 'srv-applogs',
      cm: { 'accounts.alice': 'login', 'accounts.bob': 'login', 'accounts.carol': 'login' },
      rbac: {
        'policy.csv': [
          'p, alice, applications, get, team-a/*, allow',
          'p, bob, applications, get, team-a/*, allow',
          'p, bob, logs, get, team-a/*, allow',
        ].join('\n'),
      },
      objects: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'team-a' },
          spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
        },
      ],
    });
    tokens.admin = await srv.login('admin', srv.adminPassword);
    for (const user of ['alice', 'bob', 'carol']) {
      const res = await srv.request('PUT', '/api/v1/account/password', {
        token: tokens.admin,
        body: { name: user, currentPassword: srv.adminPassword, newPassword: `${user}-password-1` },
      });
      assert.equal(res.status, 200, res.text);
    }
    await srv.waitFor(async () => {
      try {
        for (const user of ['alice', 'bob', 'carol'])
          tokens[user] = await srv.login(user, `${user}-password-1`);
        return true;
      } catch {
        return false;
      }
    }, 'the users can log in');
    const created = await srv.request('POST', '/api/v1/applications?validate=false', {
      token: tokens.admin,
      body: {
        metadata: { name: 'web' },
        spec: {
          project: 'team-a',
          source: { repoURL: 'https://git.example.com/apps.git', path: 'web' },
          destination: { server: IN_CLUSTER, namespace: dest.name },
        },
      },
    });
    assert.equal(created.status, 200, created.text);
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-pod', annotations: track('Pod', 'web-pod') },
      spec: {
        automountServiceAccountToken: false,
        containers: [{ name: 'main', image: 'nginx:1.25' }],
      },
    };
    // the namespace's default ServiceAccount may not exist yet (admission needs it)
    await srv.waitFor(async () => {
      try {
        await srv.kube.create(
          { group: '', version: 'v1', resource: 'pods', namespace: dest.name },
          pod,
        );
        return true;
      } catch (e) {
        if (/already exists/i.test(String(e))) return true;
        return false;
      }
    }, 'the pod to be created');
    await srv.kube.create(
      { group: '', version: 'v1', resource: 'configmaps', namespace: dest.name },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-cfg', annotations: track('ConfigMap', 'web-cfg') },
      },
    );
    const resource = (kind: string, name: string): Record<string, string> => ({
      group: '',
      version: 'v1',
      kind,
      namespace: dest.name,
      name,
      status: 'Synced',
    });
    await srv.kube.patch(
      { ...APPS, namespace: srv.namespace, name: 'web' },
      { status: { resources: [resource('Pod', 'web-pod'), resource('ConfigMap', 'web-cfg')] } },
      { type: 'merge' },
    );
  });
  after(async () => {
    await srv.close();
    await dest.cleanup();
  });

  it("passes the pod log API's error on as an API error", async () => {
    const res = await logs(`podName=web-pod&container=nope&namespace=${dest.name}`, 'bob');
    assert.equal(res.status, 400, res.text);
    const body = res.json<{ message: string; code: number }>();
    assert.match(body.message, /^failed to get logs of pod .*\/web-pod: the cluster answered: /);
    assert.match(body.message, /container nope is not valid for pod web-pod/);
    assert.equal(body.code, 3);
  });

  it('streams what the pod log API answers for a pod that never ran (nothing), then last', async () => {
    const res = await logs(`podName=web-pod&container=main&namespace=${dest.name}`, 'bob');
    assert.equal(res.status, 200, res.text);
    const lines = res.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { result: { last: boolean; podName: string } });
    assert.deepEqual(
      lines.map((l) => l.result.last),
      [true],
    );
  });

  it('serves the same stream with the pod in the path, and the download link the UI uses', async () => {
    const viaPath = await srv.request(
      'GET',
      `/api/v1/applications/web/pods/web-pod/logs?container=nope&namespace=${dest.name}`,
      { token: tokens.bob ?? '' },
    );
    assert.equal(viaPath.status, 400, viaPath.text);
    assert.match(viaPath.text, /container nope is not valid for pod web-pod/);
    const other = await srv.request(
      'GET',
      `/api/v1/applications/web/pods/other-pod/logs?namespace=${dest.name}`,
      { token: tokens.bob ?? '' },
    );
    assert.equal(other.status, 404, other.text);
    const noLogs = await srv.request(
      'GET',
      `/api/v1/applications/web/pods/web-pod/logs?container=main&namespace=${dest.name}`,
      { token: tokens.alice ?? '' },
    );
    assert.equal(noLogs.status, 403, noLogs.text);
    // the UI's download link: `download` is not an API parameter; the answer is the NDJSON stream
    const download = await logs(
      `podName=web-pod&container=main&namespace=${dest.name}&download=true&follow=false`,
      'bob',
    );
    assert.equal(download.status, 200, download.text);
    assert.deepEqual(
      download.text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { result: { last: boolean } }).result.last),
      [true],
    );
  });

  it('needs logs get besides applications get; a forbidden app answers as a missing one', async () => {
    const q = `podName=web-pod&container=main&namespace=${dest.name}`;
    const noLogs = await logs(q, 'alice');
    assert.equal(noLogs.status, 403, noLogs.text);
    assert.match(noLogs.json<{ message: string }>().message, /permission denied: logs, get/);
    const noApp = await logs(q, 'carol');
    const missing = await srv.request('GET', `/api/v1/applications/no-such/logs?${q}`, {
      token: tokens.carol ?? '',
    });
    assert.equal(noApp.status, 403);
    assert.deepEqual(noApp.json(), missing.json());
    const anonymous = await srv.request('GET', `/api/v1/applications/web/logs?${q}`);
    assert.equal(anonymous.status, 401);
  });

  it('refuses a pod that is not part of the app', async () => {
    const res = await logs(`podName=other-pod&namespace=${dest.name}`, 'bob');
    assert.equal(res.status, 404, res.text);
    assert.match(res.text, /pod other-pod is not part of application web/);
    const bad = await logs('podName=web-pod&tailLines=-1', 'bob');
    assert.equal(bad.status, 400);
  });

  it('streams only the last entry for a resource without pods (SSE)', async () => {
    const res = await logs(
      `kind=ConfigMap&group=&resourceName=web-cfg&namespace=${dest.name}&sinceSeconds=0&follow=false`,
      'bob',
      'text/event-stream',
    );
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = res.text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice('data: '.length)) as { result: { last: boolean } });
    assert.deepEqual(
      events.map((e) => e.result.last),
      [true],
    );
  });
});
