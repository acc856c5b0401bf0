/**
 * `application.ApplicationService` over gRPC (HTTP/2 + TLS) and gRPC-Web (HTTP/1.1 + TLS) through
 * real Connect clients against the real API server and kube-apiserver: the list filtered by RBAC,
 * get, create with upsert semantics, sync writing an operation, a denied get answering exactly as a
 * missing app, and Watch delivering a change, ending when the client cancels and when the caller
 * logs out. The handlers are the REST ones (server-apps.int.test.ts covers their behaviour).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toJson, type JsonObject } from '@bufbuild/protobuf';
import { StructSchema, type Struct } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import type { KubeObject } from '../../src/apis/index.js';
import { ApplicationService } from '../../src/server/gen/argocd/server/application/application_pb.js';
import { SessionService } from '../../src/server/gen/argocd/server/session/session_pb.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const IN_CLUSTER = 'https://kubernetes.default.svc';

function json(s: Struct): JsonObject {
  return toJson(StructSchema, s);
}

function appJson(name: string, project: string, path = 'guestbook'): JsonObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: {
      project,
      source: { repoURL: 'https://git.example.com/apps.git', path, targetRevision: 'HEAD' },
      destination: { server: IN_CLUSTER, namespace: 'default' },
    },
  };
}

function nameOf(o: JsonObject | undefined): string {
  const meta = o?.metadata;
  const name =
    typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? meta.name : undefined;
  return typeof name === 'string' ? name : '';
}

function failure(e: unknown): { code: string; message: string } {
  assert.ok(e instanceof ConnectError, String(e));
  return { code: Code[e.code], message: e.rawMessage };
}

async function caught(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return failure(e);
  }
  assert.fail('the call should have failed');
}

describe('argocd-server ApplicationService over gRPC and gRPC-Web', () => {
  let srv: TestApiServer;
  let transports: [string, Transport][];
  let admin: string;
  let alice: string;

  before(async () => {
    const project = (name: string): KubeObject => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
    });
    srv = await startTestApiServer({
      namePrefix: 'srv-appgrpc',
      cm: { 'accounts.alice': 'login' },
      rbac: { 'policy.csv': 'p, alice, applications, *, team-a/*, allow\n' },
      objects: [project('team-a'), project('team-b')],
      options: { applications: { streamSessionRecheckMs: 200 } },
    });
    const nodeOptions = { ca: srv.caPem };
    const grpc = createGrpcTransport({ baseUrl: srv.url, nodeOptions });
    transports = [
      ['gRPC', grpc],
      ['gRPC-Web', createGrpcWebTransport({ baseUrl: srv.url, httpVersion: '1.1', nodeOptions })],
    ];
    admin = (
      await createClient(SessionService, grpc).create({
        username: 'admin',
        password: srv.adminPassword,
      })
    ).token;
    const res = await srv.request('PUT', '/api/v1/account/password', {
      token: admin,
      body: { name: 'alice', currentPassword: srv.adminPassword, newPassword: 'alice-password-1' },
    });
    assert.equal(res.status, 200, res.text);
    await srv.waitFor(async () => {
      try {
        alice = await srv.login('alice', 'alice-password-1');
        return true;
      } catch {
        return false;
      }
    }, 'alice can log in');
    const apps = createClient(ApplicationService, grpc);
    for (const [name, project] of [
      ['a-one', 'team-a'],
      ['a-two', 'team-a'],
      ['b-one', 'team-b'],
    ] as const)
      await apps.create(
        { application: appJson(name, project), validate: false },
        { headers: { token: admin } },
      );
  });
  after(async () => {
    await srv.close();
  });

  it('lists only the apps the caller may get, and gets one', async () => {
    for (const [t, transport] of transports) {
      const apps = createClient(ApplicationService, transport);
      const all = await apps.list({}, { headers: { token: admin } });
      const names = (items: JsonObject[]): string[] => items.map((i) => nameOf(i)).sort();
      assert.deepEqual(names(all.items), ['a-one', 'a-two', 'b-one'], t);
      const mine = await apps.list({}, { headers: { token: alice } });
      assert.deepEqual(names(mine.items), ['a-one', 'a-two'], t);
      const filtered = await apps.list({ projects: ['team-b'] }, { headers: { token: admin } });
      assert.deepEqual(names(filtered.items), ['b-one'], t);
      const page = await apps.list({ limit: 1n }, { headers: { token: admin } });
      assert.equal(page.items.length, 1, t);
      assert.equal(typeof (page.metadata ?? {}).continue, 'string', t);
      const got = json(await apps.get({ name: 'a-one' }, { headers: { token: alice } }));
      assert.equal((got.spec as JsonObject).project, 'team-a', t);
      assert.equal((got.metadata as JsonObject).managedFields, undefined, t);
      await assert.rejects(
        apps.list({}, {}),
        (e) => failure(e).code === 'Unauthenticated',
        `${t}: no token`,
      );
    }
  });

  it('answers a denied get exactly as a missing app', async () => {
    for (const [t, transport] of transports) {
      const apps = createClient(ApplicationService, transport);
      const denied = await caught(apps.get({ name: 'b-one' }, { headers: { token: alice } }));
      const missing = await caught(apps.get({ name: 'no-such' }, { headers: { token: alice } }));
      assert.equal(denied.code, 'PermissionDenied', t);
      assert.deepEqual(denied, missing, t);
      const deniedSync = await caught(apps.sync({ name: 'b-one' }, { headers: { token: alice } }));
      const missingSync = await caught(apps.sync({ name: 'zz' }, { headers: { token: alice } }));
      assert.deepEqual(deniedSync, missingSync, t);
      // a create in a project the caller has no rights in
      const create = await caught(
        apps.create(
          { application: appJson('x-' + t.toLowerCase(), 'team-b'), validate: false },
          { headers: { token: alice } },
        ),
      );
      assert.equal(create.code, 'PermissionDenied', t);
    }
  });

  it('creates with upsert semantics', async () => {
    for (const [t, transport] of transports) {
      const apps = createClient(ApplicationService, transport);
      const headers = { token: alice };
      const name = `up-${t.toLowerCase()}`;
      const created = json(
        await apps.create({ application: appJson(name, 'team-a'), validate: false }, { headers }),
      );
      assert.equal((created.metadata as JsonObject).name, name, t);
      // the same spec again: accepted, unchanged
      await apps.create({ application: appJson(name, 'team-a'), validate: false }, { headers });
      const other = appJson(name, 'team-a', 'other');
      const refused = await caught(
        apps.create({ application: other, validate: false }, { headers }),
      );
      assert.equal(refused.code, 'InvalidArgument', t);
      assert.match(refused.message, /upsert/, t);
      const upserted = json(
        await apps.create({ application: other, upsert: true, validate: false }, { headers }),
      );
      const source = (upserted.spec as JsonObject).source as JsonObject;
      assert.equal(source.path, 'other', t);
      const stored = await srv.kube.get<KubeObject & { spec: { source: { path: string } } }>({
        ...APPS,
        namespace: srv.namespace,
        name,
      });
      assert.equal(stored.spec.source.path, 'other', t);
      await apps.delete({ name, cascade: false }, { headers });
      await assert.rejects(
        srv.kube.get({ ...APPS, namespace: srv.namespace, name }),
        /not found/i,
        t,
      );
    }
  });

  it('starts a sync operation with the caller as initiator', async () => {
    const [t, transport] = transports[0] ?? assert.fail();
    const apps = createClient(ApplicationService, transport);
    const synced = json(
      await apps.sync(
        { name: 'a-two', prune: true, syncOptions: { items: ['CreateNamespace=true'] } },
        { headers: { token: alice } },
      ),
    );
    const op = synced.operation as JsonObject;
    assert.equal((op.initiatedBy as JsonObject).username, 'alice', t);
    assert.equal((op.sync as JsonObject).prune, true, t);
    const stored = await srv.kube.get<KubeObject & { operation?: { sync?: unknown } }>({
      ...APPS,
      namespace: srv.namespace,
      name: 'a-two',
    });
    assert.ok(stored.operation?.sync, 'the operation is stored for the controller');
    // a second sync while one is pending
    const busy = await caught(apps.sync({ name: 'a-two' }, { headers: { token: alice } }));
    assert.equal(busy.code, 'FailedPrecondition', t);
    await apps.terminateOperation({ name: 'a-two' }, { headers: { token: alice } }).catch(() => {
      // no operationState yet (no controller): terminate answers InvalidArgument, which is fine
    });
  });

  it('watches: the current apps, then a change; ends when the client cancels', async () => {
    for (const [t, transport] of transports) {
      const apps = createClient(ApplicationService, transport);
      const abort = new AbortController();
      const events: { type: string; name: string; label?: string }[] = [];
      const stream = apps.watch(
        { name: 'a-one' },
        { headers: { token: alice }, signal: abort.signal },
      );
      const label = `v-${t.toLowerCase()}`;
      let patched = false;
      const done = (async () => {
        for await (const ev of stream) {
          const meta = (ev.application?.metadata ?? {}) as JsonObject;
          const labels = (meta.labels ?? {}) as JsonObject;
          events.push({
            type: ev.type,
            name: nameOf(ev.application),
            ...(typeof labels.watched === 'string' ? { label: labels.watched } : {}),
          });
          if (!patched) {
            patched = true;
            await srv.kube.patch(
              { ...APPS, namespace: srv.namespace, name: 'a-one' },
              { metadata: { labels: { watched: label } } },
              { type: 'merge' },
            );
          }
          if (events.some((e) => e.label === label)) abort.abort();
        }
      })();
      const err = await done.then(
        () => undefined,
        (e: unknown) => e,
      );
      const first = events[0];
      assert.equal(first?.type, 'ADDED', t);
      assert.equal(first.name, 'a-one', t);
      assert.ok(
        events.some((e) => e.type === 'MODIFIED' && e.label === label),
        `${t}: ${JSON.stringify(events)}`,
      );
      assert.equal(failure(ConnectError.from(err)).code, 'Canceled', t);
    }
  });

  it('ends a watch when the caller logs out, and never sends apps the caller may not get', async () => {
    const [t, transport] = transports[0] ?? assert.fail();
    const token = await srv.login('alice', 'alice-password-1');
    const apps = createClient(ApplicationService, transport);
    const seen: string[] = [];
    const stream = apps.watch({}, { headers: { token } });
    let loggedOut = false;
    for await (const ev of stream) {
      seen.push(nameOf(ev.application));
      if (!loggedOut && seen.includes('a-two')) {
        loggedOut = true;
        await createClient(SessionService, transport).delete({}, { headers: { token } });
      }
    }
    assert.ok(loggedOut, t);
    assert.ok(!seen.includes('b-one'), `${t}: ${seen.join(',')}`);
  });

  it('serves the resource tree, and its stream', async () => {
    const [t, transport] = transports[0] ?? assert.fail();
    const apps = createClient(ApplicationService, transport);
    const tree = json(
      await apps.resourceTree({ applicationName: 'a-one' }, { headers: { token: alice } }),
    );
    assert.ok(Array.isArray(tree.nodes), t);
    const abort = new AbortController();
    for await (const first of apps.watchResourceTree(
      { applicationName: 'a-one' },
      { headers: { token: alice }, signal: abort.signal },
    )) {
      assert.ok(Array.isArray(json(first).nodes), t);
      break;
    }
    abort.abort();
    const denied = await caught(
      apps.resourceTree({ applicationName: 'b-one' }, { headers: { token: alice } }),
    );
    assert.equal(denied.code, 'PermissionDenied', t);
  });
});
