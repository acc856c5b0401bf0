/**
 * The application streams through the real API server (real kube-apiserver, real TLS): Server-Sent
 * Events with `data: {"result": ...}` messages and `:` keepalives, newline-delimited JSON without
 * `Accept: text/event-stream`, initial ADDED events and `resourceVersion`, `fields` with duplicate
 * suppression, RBAC per event (including a policy change while the stream is open), the stream
 * ending after logout, and the resource-tree stream following live changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Application, KubeObject } from '../../src/apis/index.js';
import type { KubeClient } from '../../src/kube/index.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';
import { tempNamespace } from '../support/kube.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const IN_CLUSTER = 'https://kubernetes.default.svc';

interface WatchEvent {
  type: string;
  application: Application;
}

interface StreamClient {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly results: unknown[];
  readonly raw: () => string;
  comments: number;
  ended: boolean;
  close(): void;
}

/** Opens a stream and collects its results as they arrive. */
function openStream(
  srv: TestApiServer,
  path: string,
  opts: { token?: string; cookie?: string; sse?: boolean } = {},
): Promise<StreamClient> {
  const url = new URL(path, srv.url);
  const headers: Record<string, string> = {};
  if (opts.sse !== false) headers.accept = 'text/event-stream';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie !== undefined) headers.cookie = opts.cookie;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { headers, agent: false, ...(srv.caPem ? { ca: srv.caPem } : {}) },
      (res) => {
        let buf = '';
        let all = '';
        const client: StreamClient = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          results: [],
          raw: () => all,
          comments: 0,
          ended: false,
          close: () => {
            req.destroy();
          },
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          all += chunk;
          buf += chunk;
          const sep = opts.sse !== false ? '\n\n' : '\n';
          let i: number;
          while ((i = buf.indexOf(sep)) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + sep.length);
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) client.comments++;
              else if (line.startsWith('data: '))
                client.results.push((JSON.parse(line.slice(6)) as { result: unknown }).result);
              else if (opts.sse === false && line.trim() !== '')
                client.results.push((JSON.parse(line) as { result: unknown }).result);
            }
          }
        });
        res.on('end', () => {
          client.ended = true;
        });
        res.on('close', () => {
          client.ended = true;
        });
        resolve(client);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function app(
  name: string,
  project: string,
  ns: string,
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, labels },
    spec: {
      project,
      source: { repoURL: 'https://git.example.com/apps.git', path: name },
      destination: { server: IN_CLUSTER, namespace: ns },
    },
  };
}

describe('argocd-server application streams', () => {
  let srv: TestApiServer;
  let k: KubeClient;
  let dest: { name: string; cleanup: () => Promise<void> };
  let admin: string;
  let alice: string;
  const open: StreamClient[] = [];

  const events = (c: StreamClient): WatchEvent[] => c.results as WatchEvent[];
  const createApp = (obj: KubeObject): Promise<unknown> =>
    k.create({ ...APPS, namespace: srv.namespace }, obj);
  const patchApp = (name: string, patch: unknown): Promise<unknown> =>
    k.patch({ ...APPS, namespace: srv.namespace, name }, patch, { type: 'merge' });
  const stream = async (
    path: string,
    o: Parameters<typeof openStream>[2] = {},
  ): Promise<StreamClient> => {
    const c = await openStream(srv, path, o);
    open.push(c);
    return c;
  };

  before(async () => {
    dest = await tempNamespace('stream-dest');
    const project = (name: string): KubeObject => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
    });
    srv = await startTestApiServer({
      namePrefix: 'srv-stream',
      cm: { 'accounts.alice': 'login' },
      rbac: { 'policy.csv': 'p, alice, applications, get, team-a/*, allow' },
      objects: [
        project('default'),
        project('team-a'),
        app('alpha', 'default', 'x'),
        app('beta', 'team-a', 'x'),
      ],
      options: {
        applications: { streamKeepaliveMs: 150, streamSessionRecheckMs: 100, treeDebounceMs: 50 },
      },
    });
    k = srv.kube;
    admin = await srv.login('admin', srv.adminPassword);
    const res = await srv.request('PUT', '/api/v1/account/password', {
      token: admin,
      body: { name: 'alice', currentPassword: srv.adminPassword, newPassword: 'alice-password-1' },
    });
    assert.equal(res.status, 200, res.text);
    alice = await srv.login('alice', 'alice-password-1');
  });
  after(async () => {
    for (const c of open) c.close();
    await srv.close();
    await dest.cleanup();
  });

  it('streams ADDED, MODIFIED and DELETED events as SSE with keepalives', async () => {
    const c = await stream('/api/v1/stream/applications', { token: admin });
    assert.equal(c.status, 200);
    assert.match(String(c.headers['content-type']), /^text\/event-stream/);
    assert.equal(c.headers['content-encoding'], undefined);
    await srv.waitFor(() => c.results.length >= 2, 'the initial events');
    assert.deepEqual(
      events(c).map((e) => `${e.type} ${e.application.metadata.name ?? ''}`),
      ['ADDED alpha', 'ADDED beta'],
    );
    await createApp(app('gamma', 'default', 'x'));
    await patchApp('gamma', { metadata: { labels: { touched: 'yes' } } });
    await k.delete({ ...APPS, namespace: srv.namespace, name: 'gamma' });
    await srv.waitFor(
      () => events(c).some((e) => e.type === 'DELETED' && e.application.metadata.name === 'gamma'),
      'the DELETED event',
    );
    const gamma = events(c)
      .filter((e) => e.application.metadata.name === 'gamma')
      .map((e) => e.type);
    assert.deepEqual(gamma, ['ADDED', 'MODIFIED', 'DELETED']);
    const mod = events(c).find((e) => e.type === 'MODIFIED');
    assert.equal(mod?.application.metadata.labels?.touched, 'yes');
    assert.equal(mod.application.metadata.managedFields, undefined);
    await srv.waitFor(() => c.comments >= 1, 'a keepalive comment');
    assert.match(c.raw(), /^data: \{"result":\{"type":"ADDED","application":\{/);
  });

  it('streams over HTTP/2 too', async () => {
    const session = srv.http2();
    const req = session.request({
      ':path': '/api/v1/stream/applications?name=beta',
      accept: 'text/event-stream',
      authorization: `Bearer ${admin}`,
    });
    let text = '';
    let status = 0;
    let type = '';
    req.setEncoding('utf8');
    req.on('response', (h) => {
      status = Number(h[':status']);
      type = String(h['content-type']);
    });
    req.on('data', (d: string) => (text += d));
    await srv.waitFor(() => text.includes('\n\n'), 'the first event over HTTP/2');
    assert.equal(status, 200);
    assert.match(type, /^text\/event-stream/);
    assert.match(text, /^data: \{"result":\{"type":"ADDED","application":\{.*"name":"beta"/);
    req.close();
    session.close();
  });

  it('speaks newline-delimited JSON without Accept: text/event-stream', async () => {
    const c = await stream('/api/v1/stream/applications?name=alpha', { token: admin, sse: false });
    assert.match(String(c.headers['content-type']), /^application\/json/);
    await srv.waitFor(() => c.results.length >= 1, 'the initial event');
    assert.equal(events(c)[0]?.application.metadata.name, 'alpha');
    assert.match(c.raw(), /^\{"result":\{"type":"ADDED"/);
  });

  it('applies RBAC to every event, policy changes included', async () => {
    const c = await stream('/api/v1/stream/applications', { token: alice });
    await srv.waitFor(() => c.results.length >= 1, 'the initial events');
    await patchApp('alpha', { metadata: { labels: { step: '1' } } });
    await patchApp('beta', { metadata: { labels: { step: '1' } } });
    await srv.waitFor(() => events(c).some((e) => e.type === 'MODIFIED'), 'beta modified');
    assert.ok(
      events(c).every((e) => e.application.metadata.name === 'beta'),
      'alice sees team-a only',
    );
    await srv.setConfigMap('argocd-rbac-cm', {
      'policy.csv':
        'p, alice, applications, get, team-a/*, allow\np, alice, applications, get, default/*, allow',
    });
    await srv.waitFor(async () => {
      await patchApp('alpha', { metadata: { labels: { step: String(Date.now()) } } });
      return events(c).some((e) => e.application.metadata.name === 'alpha');
    }, 'alpha after the policy change');
    await srv.setConfigMap('argocd-rbac-cm', {
      'policy.csv': 'p, alice, applications, get, team-a/*, allow',
    });
    assert.equal((await stream('/api/v1/stream/applications')).status, 401);
  });

  it('projects fields, skips initial events with resourceVersion and suppresses unchanged projections', async () => {
    const c = await stream(
      '/api/v1/stream/applications?resourceVersion=1&fields=result.type,result.application.metadata.name,result.application.metadata.labels',
      { token: admin },
    );
    await patchApp('alpha', { status: { reconciledAt: '2024-01-01T00:00:00Z' } });
    await patchApp('alpha', { metadata: { labels: { projected: 'yes' } } });
    await srv.waitFor(() => c.results.length >= 1, 'the label change');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.results.length, 1, 'the status-only change is not sent');
    const ev = events(c)[0];
    assert.deepEqual(Object.keys(ev?.application ?? {}), ['metadata']);
    assert.equal(ev?.application.metadata.labels?.projected, 'yes');
    assert.equal(ev.application.metadata.uid, undefined);
  });

  it('ends the stream after logout', async () => {
    const login = await srv.request('POST', '/api/v1/session', {
      body: { username: 'alice', password: 'alice-password-1' },
    });
    const cookie = (login.headers['set-cookie'] ?? []).map((s) => s.split(';')[0]).join('; ');
    const c = await stream('/api/v1/stream/applications', { cookie });
    assert.equal(c.status, 200);
    await srv.waitFor(() => c.results.length >= 1, 'the initial event');
    const out = await srv.request('DELETE', '/api/v1/session', {
      cookie,
      contentType: 'application/json',
    });
    assert.equal(out.status, 200, out.text);
    await srv.waitFor(() => c.ended, 'the stream to end', 5_000);
    const again = await openStream(srv, '/api/v1/stream/applications', { cookie });
    assert.equal(again.status, 401);
  });

  it('streams the resource tree and follows live changes', async () => {
    const ns = dest.name;
    const tracked = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        annotations: { 'argocd.argoproj.io/tracking-id': `alpha:/ConfigMap:${ns}/${name}` },
      },
    });
    await patchApp('alpha', {
      spec: { destination: { namespace: ns } },
      status: {
        resources: [{ group: '', version: 'v1', kind: 'ConfigMap', namespace: ns, name: 'one' }],
      },
    });
    await k.create(
      { group: '', version: 'v1', resource: 'configmaps', namespace: ns },
      tracked('one'),
    );
    const c = await stream('/api/v1/stream/applications/alpha/resource-tree', { token: admin });
    assert.equal(c.status, 200);
    const names = (): string[][] =>
      (c.results as { nodes: { name: string }[] }[]).map((t) => t.nodes.map((n) => n.name));
    await srv.waitFor(() => names().some((n) => n.includes('one')), 'the first tree');
    await k.create(
      { group: '', version: 'v1', resource: 'configmaps', namespace: ns },
      tracked('two'),
    );
    await srv.waitFor(
      () => names().some((n) => n.includes('two')),
      'the tree with the new ConfigMap',
    );
    assert.equal(
      (await stream('/api/v1/stream/applications/alpha/resource-tree', { token: alice })).status,
      403,
    );
    await k.delete({ ...APPS, namespace: srv.namespace, name: 'alpha' });
    await srv.waitFor(() => c.ended, 'the tree stream to end with the app');
  });
});
