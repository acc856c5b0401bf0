/**
 * `POST /api/webhook` through the real API server (real kube-apiserver, real TLS): a signed push of
 * each provider (GitHub, GitLab, Bitbucket Cloud, Bitbucket Server, Gogs) refreshes exactly the
 * affected applications; forged signatures are 401 with no refresh and a security log; an
 * oversized body is refused from its Content-Length before it is read, and cut off when it grows
 * too large; malformed payloads and unknown events are 400 and the server keeps serving; a provider
 * without a secret is refused unless opted in; other methods get 405.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import type { Application, KubeObject } from '../../src/apis/index.js';
import type { KubeClient } from '../../src/kube/index.js';
import {
  startTestApiServer,
  type HttpResponse,
  type TestApiServer,
} from '../support/api-server.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const REFRESH = 'argocd.argoproj.io/refresh';
const SECRETS = {
  'webhook.github.secret': 'gh-webhook-secret',
  'webhook.gitlab.secret': 'gl-webhook-token',
  'webhook.bitbucket.uuid': '{6e5ec5a3-5c1e-4b5c-a1b3-0a0000000001}',
  'webhook.bitbucketserver.secret': 'bbs-webhook-secret',
  'webhook.gogs.secret': 'gogs-webhook-secret',
};

const fixture = (name: string): string =>
  readFileSync(
    fileURLToPath(new URL(`../../src/server/webhook/testdata/${name}`, import.meta.url)),
    'utf8',
  );
const hmac = (secret: string, body: string): string =>
  createHmac('sha256', secret).update(body).digest('hex');

function app(
  name: string,
  repoURL: string,
  targetRevision: string,
  annotations: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, annotations },
    spec: {
      project: 'default',
      source: { repoURL, path: 'web', targetRevision },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
    },
  };
}

const APP_NAMES = [
  'gh-main',
  'gh-head',
  'gh-release',
  'gh-other',
  'gh-paths',
  'gl-release',
  'bb-main',
  'bbs-tag',
  'gogs-dev',
];

describe('argocd-server webhooks', () => {
  let srv: TestApiServer;
  let k: KubeClient;

  const post = (
    body: string,
    headers: Record<string, string>,
    contentType = 'application/json',
  ): Promise<HttpResponse> =>
    srv.request('POST', '/api/webhook', { rawBody: body, headers, contentType });
  const refreshed = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const name of APP_NAMES) {
      const a = await k.get<Application>({ ...APPS, namespace: srv.namespace, name });
      if (a.metadata.annotations?.[REFRESH] !== undefined) out.push(name);
    }
    return out;
  };
  /** waits until exactly `want` are refreshed (and stays so for a moment) */
  const expectRefreshed = async (want: string[]): Promise<void> => {
    await srv.waitFor(
      async () => (await refreshed()).length >= want.length,
      `refresh of ${want.join(', ')}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await refreshed(), want);
  };
  const clearRefresh = async (): Promise<void> => {
    for (const name of await refreshed())
      await k.patch(
        { ...APPS, namespace: srv.namespace, name },
        { metadata: { annotations: { [REFRESH]: null } } },
        { type: 'merge' },
      );
    // the server reads its watch cache: wait until it has seen the cleared annotations
    await srv.waitFor(async () => {
      const res = await srv.request('GET', '/api/v1/applications', { token: admin });
      return res
        .json<{ items: Application[] }>()
        .items.every((a) => a.metadata.annotations?.[REFRESH] === undefined);
    }, 'the cache to see the cleared annotations');
  };
  let admin: string;

  before(async () => {
    const gh = 'https://github.com/example/guestbook.git';
    srv = await startTestApiServer({
      namePrefix: 'srv-hook',
      cm: { 'webhook.maxPayloadSizeMB': '1' },
      objects: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'default' },
          spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
        },
        app('gh-main', 'git@github.com:example/guestbook.git', 'main'),
        app('gh-head', gh, 'HEAD'),
        app('gh-release', gh, 'release'),
        app('gh-other', 'https://github.com/example/other.git', 'main'),
        app('gh-paths', gh, 'main', { 'argocd.argoproj.io/manifest-generate-paths': '/elsewhere' }),
        app('gl-release', 'https://gitlab.example.com/team/guestbook.git', 'refs/heads/release'),
        app('bb-main', 'https://bitbucket.org/team/guestbook.git', 'main'),
        app('bbs-tag', 'ssh://git@bitbucket.example.com:7999/team/guestbook.git', 'v1.2.0'),
        app('gogs-dev', 'https://gogs.example.com/team/guestbook.git', 'dev'),
      ],
    });
    k = srv.kube;
    admin = await srv.login('admin', srv.adminPassword);
    await k.patch(
      {
        group: '',
        version: 'v1',
        resource: 'secrets',
        namespace: srv.namespace,
        name: 'argocd-secret',
      },
      { stringData: SECRETS },
      { type: 'merge' },
    );
    await srv.waitFor(
      () => srv.handle.store.secretData()['webhook.gogs.secret'] !== undefined,
      'the webhook secrets',
    );
  });
  after(async () => {
    await srv.close();
  });

  it('a signed GitHub push refreshes the apps of that repository and branch only', async () => {
    const body = fixture('github-push.json');
    const res = await post(body, {
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${hmac(SECRETS['webhook.github.secret'], body)}`,
    });
    assert.equal(res.status, 200, res.text);
    await expectRefreshed(['gh-main', 'gh-head']);
    const a = await k.get<Application>({ ...APPS, namespace: srv.namespace, name: 'gh-main' });
    assert.equal(a.metadata.annotations?.[REFRESH], 'normal');
    await clearRefresh();
  });

  it('refuses a forged GitHub signature with 401 and refreshes nothing', async () => {
    const body = fixture('github-push.json');
    const res = await post(body, {
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${hmac('wrong-secret', body)}`,
    });
    assert.equal(res.status, 401);
    assert.match(res.text, /HMAC verification failed/);
    assert.ok(!res.text.includes(SECRETS['webhook.github.secret']));
    const missing = await post(body, { 'x-github-event': 'push' });
    assert.equal(missing.status, 401);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await refreshed(), []);
    assert.ok(
      srv.securityEvents().some((e) => e.security === 3 && /GitHub webhook/.test(e.msg ?? '')),
    );
  });

  it('accepts signed pushes of GitLab, Bitbucket, Bitbucket Server and Gogs', async () => {
    const gl = fixture('gitlab-push.json');
    assert.equal(
      (
        await post(gl, {
          'x-gitlab-event': 'Push Hook',
          'x-gitlab-token': SECRETS['webhook.gitlab.secret'],
        })
      ).status,
      200,
    );
    await expectRefreshed(['gl-release']);
    await clearRefresh();
    assert.equal(
      (await post(gl, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'nope' })).status,
      401,
    );

    const bb = fixture('bitbucket-push.json');
    assert.equal(
      (
        await post(bb, {
          'x-event-key': 'repo:push',
          'x-hook-uuid': SECRETS['webhook.bitbucket.uuid'],
        })
      ).status,
      200,
    );
    await expectRefreshed(['bb-main']);
    await clearRefresh();
    assert.equal(
      (await post(bb, { 'x-event-key': 'repo:push', 'x-hook-uuid': '{other}' })).status,
      401,
    );

    const bbs = fixture('bitbucketserver-push.json');
    const bbsSig = `sha256=${hmac(SECRETS['webhook.bitbucketserver.secret'], bbs)}`;
    assert.equal(
      (await post(bbs, { 'x-event-key': 'repo:refs_changed', 'x-hub-signature': bbsSig })).status,
      200,
    );
    await expectRefreshed(['bbs-tag']);
    await clearRefresh();

    const gogs = fixture('gogs-push.json');
    const gogsSig = hmac(SECRETS['webhook.gogs.secret'], gogs);
    assert.equal(
      (await post(gogs, { 'x-gogs-event': 'push', 'x-gogs-signature': gogsSig })).status,
      200,
    );
    await expectRefreshed(['gogs-dev']);
    await clearRefresh();
  });

  it('refuses an oversized body from its Content-Length, before reading it', async () => {
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        new URL('/api/webhook', srv.url),
        {
          method: 'POST',
          agent: false,
          ...(srv.caPem ? { ca: srv.caPem } : {}),
          headers: {
            'content-type': 'application/json',
            'content-length': String(2 * 1024 * 1024 * 1024),
            'x-github-event': 'push',
          },
        },
        (r) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (d: string) => (text += d));
          r.on('end', () => {
            resolve({ status: r.statusCode ?? 0, text });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      // a few bytes of the promised 2 GiB: the answer must not wait for the rest
      req.write('{"ref":');
    });
    assert.equal(res.status, 413);
    assert.match(res.text, /payload must be valid JSON under 1 MB/);
    assert.ok(
      srv.securityEvents().some((e) => e.security === 3 && /payload too large/.test(e.msg ?? '')),
    );
  });

  it('cuts off a body that grows past the limit (oversized invalid JSON is 413, not 400)', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const res = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        new URL('/api/webhook', srv.url),
        {
          method: 'POST',
          agent: false,
          ...(srv.caPem ? { ca: srv.caPem } : {}),
          // no Content-Length: the body is chunked and its size unknown until it is read
          headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', (err) => {
        // the server may close the connection while we are still writing
        if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
      });
      req.write('{"ref":"');
      for (let i = 0; i < 17; i++) req.write(chunk);
      req.end('"}');
    });
    assert.equal(res, 413);
  });

  it('answers malformed payloads and unknown events with 400 and keeps serving', async () => {
    const sign = (b: string): Record<string, string> => ({
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${hmac(SECRETS['webhook.github.secret'], b)}`,
    });
    for (const body of [
      '{"ref":',
      '[1,2,3]',
      '{"ref":"refs/heads/main","repository":"oops"}',
      '{"ref":null,"repository":{"html_url":7}}',
    ]) {
      const res = await post(body, sign(body));
      assert.equal(res.status, 400, `${body}: ${res.text}`);
    }
    const bbsBody = '{"repository":{"links":{"clone":null}},"changes":[{"ref":null}]}';
    const bbs = await post(bbsBody, {
      'x-event-key': 'repo:refs_changed',
      'x-hub-signature': `sha256=${hmac(SECRETS['webhook.bitbucketserver.secret'], bbsBody)}`,
    });
    assert.equal(bbs.status, 400);
    const issue = '{"action":"opened"}';
    const unknown = await post(issue, { ...sign(issue), 'x-github-event': 'issues' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /not handled/);
    assert.equal((await post('{}', {})).status, 400);
    const ping = await post('{"zen":"x"}', { ...sign('{"zen":"x"}'), 'x-github-event': 'ping' });
    assert.equal(ping.status, 200);
    assert.equal((await srv.request('GET', '/api/webhook')).status, 405);
    assert.equal((await srv.request('GET', '/api/version')).status, 200);
    assert.deepEqual(await refreshed(), []);
  });

  it('refuses a provider without a secret unless argocd-cm opts in', async () => {
    await k.patch(
      {
        group: '',
        version: 'v1',
        resource: 'secrets',
        namespace: srv.namespace,
        name: 'argocd-secret',
      },
      { data: { 'webhook.gogs.secret': null } },
      { type: 'merge' },
    );
    await srv.waitFor(
      () => srv.handle.store.secretData()['webhook.gogs.secret'] === undefined,
      'the gogs secret to go',
    );
    const body = fixture('gogs-push.json');
    const refused = await post(body, { 'x-gogs-event': 'push' });
    assert.equal(refused.status, 401);
    assert.match(refused.text, /set webhook\.gogs\.secret in argocd-secret/);
    assert.deepEqual(await refreshed(), []);
    await srv.setConfigMap('argocd-cm', { 'webhook.gogs.allowUnsigned': 'true' });
    await srv.waitFor(
      async () => (await post(body, { 'x-gogs-event': 'push' })).status === 200,
      'the opt-in to apply',
    );
    await expectRefreshed(['gogs-dev']);
  });
});
