/**
 * The `application.ApplicationService` methods that reuse the REST handlers of an app's resources,
 * links and sync windows (Patch, GetResource, PatchResource, DeleteResource, ListResourceActions,
 * RunResourceAction, ListLinks, ListResourceLinks, GetApplicationSyncWindows), through a real
 * Connect client (Connect protocol over HTTP/1.1 + TLS) against the real API server and
 * kube-apiserver: each answers as its REST route, and each refuses a caller without the right, a
 * denied app answering exactly as a missing one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toJson, type JsonObject } from '@bufbuild/protobuf';
import { StructSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type { KubeObject } from '../../src/apis/index.js';
import { ApplicationService } from '../../src/server/gen/argocd/server/application/application_pb.js';
import { tempNamespace } from '../support/kube.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const IN_CLUSTER = 'https://kubernetes.default.svc';

async function caught(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConnectError, String(e));
    return { code: Code[e.code], message: e.rawMessage };
  }
  assert.fail('the call should have failed');
}

describe('argocd-server ApplicationService resource, link and sync-window methods', () => {
  let srv: TestApiServer;
  let dest: { name: string; cleanup: () => Promise<void> };
  let apps: Client<typeof ApplicationService>;
  let admin: { headers: { token: string } };
  let alice: { headers: { token: string } };
  const cmKey = (name: string): Record<string, string> => ({
    namespace: dest.name,
    resourceName: name,
    version: 'v1',
    group: '',
    kind: 'ConfigMap',
  });
  const liveCm = (name: string): Promise<KubeObject & { data?: Record<string, string> }> =>
    srv.kube.get({ ...CONFIGMAPS, namespace: dest.name, name });

  before(async () => {
    dest = await tempNamespace('apps-rpc-dest');
    const project = (name: string, windows: unknown[] = []): KubeObject => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        syncWindows: windows,
      },
    });
    srv = await startTestApiServer({
      namePrefix: 'srv-apprpc',
      cm: {
        'accounts.alice': 'login',
        'application.links':
          '- title: Dashboard\n  url: https://dash.example.com/{{.app.metadata.name}}\n',
        'resource.links':
          '- title: Logs\n  url: https://logs.example.com/{{.resource.metadata.name}}\n',
      },
      rbac: {
        'policy.csv': [
          'p, alice, applications, get, team-a/*, allow',
          'p, alice, applications, update, team-a/*, allow',
        ].join('\n'),
      },
      objects: [
        project('team-a', [
          {
            kind: 'deny',
            schedule: '* * * * *',
            duration: '1h',
            applications: ['web'],
            manualSync: false,
          },
        ]),
        project('team-b'),
      ],
    });
    const transport = createConnectTransport({
      baseUrl: srv.url,
      httpVersion: '1.1',
      nodeOptions: { ca: srv.caPem },
    });
    apps = createClient(ApplicationService, transport);
    admin = { headers: { token: await srv.login('admin', srv.adminPassword) } };
    const res = await srv.request('PUT', '/api/v1/account/password', {
      token: admin.headers.token,
      body: { name: 'alice', currentPassword: srv.adminPassword, newPassword: 'alice-password-1' },
    });
    assert.equal(res.status, 200, res.text);
    await srv.waitFor(async () => {
      try {
        alice = { headers: { token: await srv.login('alice', 'alice-password-1') } };
        return true;
      } catch {
        return false;
      }
    }, 'alice can log in');
    for (const [name, project] of [
      ['web', 'team-a'],
      ['other', 'team-b'],
    ] as const) {
      await apps.create(
        {
          application: {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            metadata: { name },
            spec: {
              project,
              source: { repoURL: 'https://git.example.com/apps.git', path: name },
              destination: { server: IN_CLUSTER, namespace: dest.name },
            },
          },
          validate: false,
        },
        admin,
      );
      await srv.kube.create(
        { ...CONFIGMAPS, namespace: dest.name },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `${name}-cm`,
            annotations: {
              'argocd.argoproj.io/tracking-id': `${name}:/ConfigMap:${dest.name}/${name}-cm`,
            },
          },
          data: { color: 'red' },
        },
      );
      await srv.kube.patch(
        { ...APPS, namespace: srv.namespace, name },
        {
          status: {
            resources: [
              {
                group: '',
                version: 'v1',
                kind: 'ConfigMap',
                namespace: dest.name,
                name: `${name}-cm`,
                status: 'Synced',
              },
            ],
          },
        },
        { type: 'merge' },
      );
    }
  });
  after(async () => {
    await srv.close();
    await dest.cleanup();
  });

  it('patches an app with update rights only', async () => {
    const patch = JSON.stringify({ metadata: { annotations: { note: 'from-connect' } } });
    const saved = toJson(
      StructSchema,
      await apps.patch({ name: 'web', patch, patchType: 'merge' }, alice),
    );
    assert.equal(((saved.metadata as JsonObject).annotations as JsonObject).note, 'from-connect');
    const stored = await srv.kube.get({ ...APPS, namespace: srv.namespace, name: 'web' });
    assert.equal(stored.metadata.annotations?.note, 'from-connect');
    const denied = await caught(apps.patch({ name: 'other', patch, patchType: 'merge' }, alice));
    const missing = await caught(apps.patch({ name: 'no-such', patch, patchType: 'merge' }, alice));
    assert.equal(denied.code, 'PermissionDenied');
    assert.deepEqual(denied, missing);
    const bad = await caught(
      apps.patch({ name: 'web', patch: '{not json', patchType: 'merge' }, alice),
    );
    assert.equal(bad.code, 'InvalidArgument');
  });

  it('gets, patches and deletes a resource of the app, with fine-grained RBAC', async () => {
    const got = await apps.getResource({ name: 'web', ...cmKey('web-cm') }, alice);
    const manifest = JSON.parse(got.manifest) as { kind: string; data: Record<string, string> };
    assert.equal(manifest.kind, 'ConfigMap');
    assert.equal(manifest.data.color, 'red');
    // a resource that is not the app's is not found, whoever asks
    const foreign = await caught(apps.getResource({ name: 'web', ...cmKey('other-cm') }, admin));
    assert.equal(foreign.code, 'NotFound');
    const deniedGet = await caught(
      apps.getResource({ name: 'other', ...cmKey('other-cm') }, alice),
    );
    assert.equal(deniedGet.code, 'PermissionDenied');

    const patch = JSON.stringify({ data: { color: 'green' } });
    // alice has `update` on the app but not `update/*` on its resources (fine-grained RBAC)
    const deniedPatch = await caught(
      apps.patchResource(
        { name: 'web', ...cmKey('web-cm'), patch, patchType: 'application/merge-patch+json' },
        alice,
      ),
    );
    assert.equal(deniedPatch.code, 'PermissionDenied');
    assert.equal((await liveCm('web-cm')).data?.color, 'red');
    const patched = await apps.patchResource(
      { name: 'web', ...cmKey('web-cm'), patch, patchType: 'application/merge-patch+json' },
      admin,
    );
    assert.equal((JSON.parse(patched.manifest) as { data: { color: string } }).data.color, 'green');
    assert.equal((await liveCm('web-cm')).data?.color, 'green');

    const deniedDelete = await caught(
      apps.deleteResource({ name: 'web', ...cmKey('web-cm') }, alice),
    );
    assert.equal(deniedDelete.code, 'PermissionDenied');
    await liveCm('web-cm');
    await apps.deleteResource({ name: 'web', ...cmKey('web-cm'), force: true }, admin);
    await srv.waitFor(async () => {
      try {
        await liveCm('web-cm');
        return false;
      } catch (e) {
        return /not found/i.test(String(e));
      }
    }, 'the ConfigMap to be deleted');
  });

  it('lists resource actions (none for a ConfigMap) and refuses to run one', async () => {
    const listed = await apps.listResourceActions({ name: 'other', ...cmKey('other-cm') }, admin);
    assert.deepEqual(listed.actions, []);
    const denied = await caught(
      apps.listResourceActions({ name: 'other', ...cmKey('other-cm') }, alice),
    );
    assert.equal(denied.code, 'PermissionDenied');
    const run = await caught(
      apps.runResourceAction({ name: 'other', ...cmKey('other-cm'), action: 'restart' }, admin),
    );
    assert.equal(run.code, 'InvalidArgument');
    assert.match(run.message, /ConfigMap other-cm has no actions/);
  });

  it('lists the deep links of the app and of its resource', async () => {
    const links = await apps.listLinks({ name: 'other' }, admin);
    assert.deepEqual(
      links.items.map((l) => l.url),
      ['https://dash.example.com/other'],
    );
    const resLinks = await apps.listResourceLinks({ name: 'other', ...cmKey('other-cm') }, admin);
    assert.deepEqual(
      resLinks.items.map((l) => l.url),
      ['https://logs.example.com/other-cm'],
    );
    assert.equal((await caught(apps.listLinks({ name: 'other' }, alice))).code, 'PermissionDenied');
    assert.equal(
      (await caught(apps.listResourceLinks({ name: 'other', ...cmKey('other-cm') }, alice))).code,
      'PermissionDenied',
    );
  });

  it("answers the app's sync windows", async () => {
    const w = await apps.getApplicationSyncWindows({ name: 'web' }, alice);
    assert.equal(w.assignedWindows.length, 1);
    assert.equal(w.activeWindows.length, 1);
    assert.equal(w.assignedWindows[0]?.kind, 'deny');
    assert.equal(w.canSync, false);
    const free = await apps.getApplicationSyncWindows({ name: 'other' }, admin);
    assert.deepEqual([free.assignedWindows, free.activeWindows, free.canSync], [[], [], true]);
    const denied = await caught(apps.getApplicationSyncWindows({ name: 'other' }, alice));
    const missing = await caught(apps.getApplicationSyncWindows({ name: 'no-such' }, alice));
    assert.equal(denied.code, 'PermissionDenied');
    assert.deepEqual(denied, missing);
  });
});
