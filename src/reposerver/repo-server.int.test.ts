import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createCertificateAuthority, issueCertificate, type PemPair } from '../tls/index.js';
import { startGitServer, type FixtureRepo, type GitServer } from '../../test/support/git-server.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  TEST_REPO_SERVER_DEFAULTS,
  gitRepo,
  startTestRepoServer,
  type TestRepoServer,
} from '../../test/support/repo-server.js';
import { RepoServerClientError, createRepoServerClient } from './client.js';
import { startRepoServer } from './index.js';

const PASSWORD = 'pw-Secr3t-9f2a';
const USER = 'alice';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.0
`;

interface Fixture {
  readonly repo: FixtureRepo;
  readonly first: string;
  readonly feature: string;
  readonly head: string;
}

async function buildApps(git: GitServer): Promise<Fixture> {
  const repo = await git.createRepo('apps');
  await repo.write({
    'guestbook/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata:\n  mode: "0644"\n',
    'guestbook/svc.json':
      '{"apiVersion":"v1","kind":"Service","metadata":{"name":"guestbook"},"spec":{"ports":[{"port":80}]}}',
    'kustomize/base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'kustomize/base/deployment.yaml': DEPLOYMENT,
    'kustomize/overlay/kustomization.yaml': 'resources:\n- ../base\ncommonLabels:\n  env: prod\n',
    'charts/hello/Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
    'charts/hello/values.yaml': 'replicas: 2\nimage:\n  repository: nginx\n  tag: "1.25"\n',
    'charts/hello/values-prod.yaml': 'replicas: 5\n',
    'charts/hello/templates/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  replicas: "{{ .Values.replicas }}"\n',
  });
  const first = await repo.commit('first: guestbook, kustomize, chart', {
    author: 'Ada Lovelace <ada@example.test>',
  });
  await repo.tag('v1.0', { message: 'release 1.0' });
  await repo.tag('light');
  await repo.branch('feature');
  await repo.write({
    'guestbook/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-only\n',
  });
  const feature = await repo.commit('feature work');
  await repo.checkout('main');
  await repo.write({
    'guestbook/cm2.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n',
  });
  const head = await repo.commit('second on main');
  return { repo, first, feature, head };
}

function names(manifests: readonly string[]): string[] {
  return manifests
    .map((m) => JSON.parse(m) as { kind: string; metadata: { name: string } })
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

describe('repo server over TLS', () => {
  let git: GitServer;
  let rs: TestRepoServer;
  let fx: Fixture;

  before(async () => {
    git = await startGitServer({ username: USER, password: PASSWORD });
    fx = await buildApps(git);
    rs = await startTestRepoServer();
  });
  after(async () => {
    await rs.close();
    await git.stop();
  });

  it('generates directory manifests over gRPC from an HTTPS repository with basic auth', async () => {
    const res = await rs.client().generateManifest({
      repo: gitRepo(git, 'apps'),
      applicationSource: { repoUrl: git.url('apps'), path: 'guestbook', targetRevision: 'main' },
      appName: 'guestbook',
      namespace: 'default',
    });
    assert.equal(res.revision, fx.head);
    assert.equal(res.sourceType, 'Directory');
    assert.deepEqual(names(res.manifests), [
      'ConfigMap/guestbook',
      'ConfigMap/second',
      'Service/guestbook',
    ]);
    const cm = res.manifests.map(
      (m) => JSON.parse(m) as { metadata: { name: string }; data?: { mode?: string } },
    );
    assert.equal(cm.find((o) => o.metadata.name === 'guestbook')?.data?.mode, '0644');
    // the git server saw the credentials of the request, and only over its own HTTPS endpoint
    assert.ok(git.requests.some((r) => r.user === USER && r.status === 200));
  });

  for (const protocol of ['connect', 'grpc-web'] as const) {
    it(`answers the same request over ${protocol} on the same port`, async () => {
      const res = await rs.client({ protocol }).generateManifest({
        repo: gitRepo(git, 'apps'),
        applicationSource: { path: 'guestbook', targetRevision: fx.first },
      });
      assert.equal(res.revision, fx.first);
      assert.deepEqual(names(res.manifests), ['ConfigMap/guestbook', 'Service/guestbook']);
    });
  }

  it('speaks Connect-JSON over HTTP/1.1 with Argo CD field names, from the cache too', async () => {
    const body = JSON.stringify({
      repo: { repo: git.url('apps'), username: USER, password: PASSWORD, tlsCAData: git.caPem },
      applicationSource: { repoURL: git.url('apps'), path: 'guestbook', targetRevision: 'v1.0' },
      appName: 'connect-json',
    });
    const url = new URL('/repository.RepoServerService/GenerateManifest', rs.handle.url);
    const call = (): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', ca: rs.ca.certPem, headers: { 'content-type': 'application/json' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              resolve({
                status: res.statusCode ?? 0,
                text: Buffer.concat(chunks).toString('utf8'),
              });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    // the second answer comes from the manifest cache, where binary codecs get pre-encoded
    // manifests: a JSON client must still see every manifest
    for (const cached of [false, true]) {
      const { status, text } = await call();
      assert.equal(status, 200, text);
      const json = JSON.parse(text) as {
        revision: string;
        sourceType: string;
        manifests: string[];
        cached?: boolean;
      };
      assert.equal(json.revision, fx.first);
      assert.equal(json.sourceType, 'Directory');
      assert.equal(json.cached ?? false, cached);
      assert.deepEqual(names(json.manifests), ['ConfigMap/guestbook', 'Service/guestbook']);
    }
  });

  describe('ResolveRevision', () => {
    const cases: { name: string; rev: () => string; want: () => string }[] = [
      { name: 'a branch', rev: () => 'feature', want: () => fx.feature },
      { name: 'HEAD', rev: () => 'HEAD', want: () => fx.head },
      { name: 'an empty revision as HEAD', rev: () => '', want: () => fx.head },
      { name: 'an annotated tag to its commit', rev: () => 'v1.0', want: () => fx.first },
      { name: 'a lightweight tag', rev: () => 'light', want: () => fx.first },
      { name: 'a full SHA', rev: () => fx.feature, want: () => fx.feature },
      { name: 'an abbreviated SHA', rev: () => fx.first.slice(0, 10), want: () => fx.first },
    ];
    for (const c of cases) {
      it(`resolves ${c.name}`, async () => {
        const res = await rs
          .client()
          .resolveRevision({ repo: gitRepo(git, 'apps'), ambiguousRevision: c.rev() });
        assert.equal(res.revision, c.want());
      });
    }

    it('refuses an unknown revision with a NotFound error naming it', async () => {
      await assert.rejects(
        rs
          .client()
          .resolveRevision({ repo: gitRepo(git, 'apps'), ambiguousRevision: 'no-such-branch' }),
        (err: unknown) =>
          err instanceof RepoServerClientError &&
          err.code === 'ERR_REVISION_NOT_FOUND' &&
          err.message.includes('no-such-branch'),
      );
    });
  });

  it('lists branches and tags', async () => {
    const refs = await rs.client().listRefs({ repo: gitRepo(git, 'apps') });
    assert.deepEqual(refs.branches, ['feature', 'main']);
    assert.deepEqual(refs.tags, ['light', 'v1.0']);
  });

  it('gives the author, date, message and tags of a commit', async () => {
    const meta = await rs
      .client()
      .getRevisionMetadata({ repo: gitRepo(git, 'apps'), revision: 'v1.0' });
    assert.equal(meta.author, 'Ada Lovelace <ada@example.test>');
    assert.equal(meta.date, '2024-01-01T00:01:00+00:00');
    assert.equal(meta.message, 'first: guestbook, kustomize, chart');
    assert.deepEqual(meta.tags, ['light', 'v1.0']);
    assert.equal(meta.revision, fx.first);
  });

  it('lists the directories that hold apps', async () => {
    const list = await rs.client().listApps({ repo: gitRepo(git, 'apps'), revision: 'main' });
    assert.deepEqual(list.apps, {
      'charts/hello': 'Helm',
      'kustomize/base': 'Kustomize',
      'kustomize/overlay': 'Kustomize',
    });
    const noKustomize = await rs.client().listApps({
      repo: gitRepo(git, 'apps'),
      revision: 'main',
      enabledSourceTypes: { Kustomize: false },
    });
    assert.deepEqual(Object.keys(noKustomize.apps), ['charts/hello']);
  });

  it('describes a Helm chart without running helm', async () => {
    const d = await rs.client().getAppDetails({
      repo: gitRepo(git, 'apps'),
      source: { path: 'charts/hello', targetRevision: 'main' },
    });
    assert.equal(d.type, 'Helm');
    const helm = d.helm;
    assert.ok(helm);
    assert.equal(helm.name, 'hello');
    assert.deepEqual(helm.valueFiles, ['values-prod.yaml', 'values.yaml']);
    assert.deepEqual(
      helm.parameters.map((p) => `${p.name}=${p.value}`),
      ['replicas=2', 'image.repository=nginx', 'image.tag=1.25'],
    );
  });

  it('describes a directory app', async () => {
    const d = await rs
      .client()
      .getAppDetails({ repo: gitRepo(git, 'apps'), source: { path: 'guestbook' } });
    assert.equal(d.type, 'Directory');
    assert.ok(d.directory);
  });

  it('tests a repository with good credentials', async () => {
    const res = await rs.client().testRepository({ repo: gitRepo(git, 'apps') });
    assert.equal(res.verifiedRepository, true);
  });

  it('refuses a wrong password without echoing the password or a URL with credentials', async () => {
    const wrong = 'WrongPass-77x';
    const attempts = [
      { repo: gitRepo(git, 'apps', { password: wrong }) },
      {
        repo: gitRepo(git, 'apps', {
          username: '',
          password: '',
          repo: git.url('apps').replace('https://', `https://${USER}:${wrong}@`),
        }),
      },
    ];
    for (const req of attempts) {
      for (const call of [
        () => rs.client().testRepository(req),
        () =>
          rs.client().generateManifest({
            ...req,
            applicationSource: { path: 'guestbook' },
            noRevisionCache: true,
          }),
      ]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof RepoServerClientError);
          assert.equal(err.code, 'ERR_REPO_ACCESS');
          assert.ok(!err.message.includes(wrong), err.message);
          assert.ok(!err.message.includes(`${USER}:`), err.message);
          assert.ok(!err.message.includes(PASSWORD), err.message);
          assert.match(err.message, /Authentication failed/);
          return true;
        });
      }
    }
    const logged = JSON.stringify(rs.logs);
    assert.ok(
      !logged.includes(wrong) && !logged.includes(PASSWORD),
      'no log line holds a password',
    );
    const urlEvent = rs.securityEvents().find((e) => e.CWE === 532);
    assert.ok(urlEvent, 'a URL with credentials is logged as a CWE-532 security event');
  });

  it('serves a second request for the same commit from the cache without rendering again', async () => {
    const req = {
      repo: gitRepo(git, 'apps'),
      applicationSource: { path: 'guestbook', targetRevision: 'feature' },
      appName: 'cache-test',
    };
    const before = await rs.metric('argocd_repo_server_manifest_generations_total');
    const first = await rs.client().generateManifest(req);
    const mid = await rs.metric('argocd_repo_server_manifest_generations_total');
    const second = await rs.client().generateManifest(req);
    const end = await rs.metric('argocd_repo_server_manifest_generations_total');
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.equal(mid - before, 1);
    assert.equal(end - mid, 0, 'the second request did not render');
    assert.deepEqual(second.manifests, first.manifests);
    assert.ok(
      (await rs.metric('argocd_repo_server_manifest_cache_requests_total', { result: 'hit' })) >= 1,
    );
    const third = await rs.client().generateManifest({ ...req, noCache: true });
    assert.equal(third.cached, false);
    assert.equal((await rs.metric('argocd_repo_server_manifest_generations_total')) - end, 1);
  });

  it('renders a new commit once the branch moves', async () => {
    await fx.repo.write({
      'guestbook/third.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: third\n',
    });
    const sha = await fx.repo.commit('third on main');
    const res = await rs.client().generateManifest({
      repo: gitRepo(git, 'apps'),
      applicationSource: { path: 'guestbook', targetRevision: 'main' },
      noRevisionCache: true,
    });
    assert.equal(res.revision, sha);
    assert.ok(names(res.manifests).includes('ConfigMap/third'));
  });

  it('renders Kustomize with source options through kubectl kustomize', async (t) => {
    if (!rs.handle.tools.kustomize) {
      t.skip('neither kustomize nor kubectl is on the PATH');
      return;
    }
    const res = await rs.client().generateManifest({
      repo: gitRepo(git, 'apps'),
      applicationSource: {
        path: 'kustomize/overlay',
        targetRevision: 'main',
        kustomize: {
          namePrefix: 'p-',
          nameSuffix: '-s',
          namespace: 'team-a',
          images: ['nginx=registry.test/nginx:2.0'],
          commonLabels: { owner: 'argocd-ts' },
          commonAnnotations: { note: 'hi' },
          replicas: [{ name: 'web', count: 3 }],
        },
      },
    });
    assert.equal(res.sourceType, 'Kustomize');
    assert.equal(res.manifests.length, 1);
    const d = JSON.parse(res.manifests[0] ?? '{}') as {
      metadata: {
        name: string;
        namespace: string;
        labels: Record<string, string>;
        annotations: Record<string, string>;
      };
      spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(d.metadata.name, 'p-web-s');
    assert.equal(d.metadata.namespace, 'team-a');
    assert.equal(d.metadata.labels.env, 'prod');
    assert.equal(d.metadata.labels.owner, 'argocd-ts');
    assert.equal(d.metadata.annotations.note, 'hi');
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0]?.image, 'registry.test/nginx:2.0');
    assert.match(res.commands[0] ?? '', /kustomize kustomize\/overlay$/);

    const details = await rs.client().getAppDetails({
      repo: gitRepo(git, 'apps'),
      source: { path: 'kustomize/base', targetRevision: 'main' },
    });
    assert.equal(details.type, 'Kustomize');
    assert.deepEqual(details.kustomize?.images, ['nginx:1.0']);
  });

  it('treats a disabled Kustomize as a plain directory', async () => {
    await assert.rejects(
      rs.client().generateManifest({
        repo: gitRepo(git, 'apps'),
        applicationSource: { path: 'kustomize/base', targetRevision: 'main' },
        enabledSourceTypes: { Kustomize: false },
      }),
      // as a directory, kustomization.yaml is not a Kubernetes object
      (err: unknown) =>
        err instanceof RepoServerClientError &&
        err.code === 'ERR_MANIFEST_PARSE' &&
        err.message.includes('kustomization.yaml'),
    );
  });

  it('renders a Helm chart with release name, values, value files and parameters', async (t) => {
    if (!rs.handle.tools.helm) {
      t.skip('helm is not on the PATH of this machine');
      return;
    }
    const res = await rs.client().generateManifest({
      repo: gitRepo(git, 'apps'),
      applicationSource: {
        path: 'charts/hello',
        targetRevision: 'main',
        helm: {
          releaseName: 'rel',
          valueFiles: ['values-prod.yaml'],
          parameters: [{ name: 'replicas', value: '7' }],
        },
      },
      appName: 'hello',
      namespace: 'default',
    });
    assert.equal(res.sourceType, 'Helm');
    const cm = JSON.parse(res.manifests[0] ?? '{}') as {
      metadata: { name: string };
      data: { replicas: string };
    };
    assert.equal(cm.metadata.name, 'rel-cm');
    assert.equal(cm.data.replicas, '7');
  });

  it('answers the gRPC health service', async () => {
    const client = rs.client();
    assert.equal(await client.checkHealth(), 'SERVING');
    assert.equal(await client.checkHealth('repository.RepoServerService'), 'SERVING');
    await assert.rejects(
      client.checkHealth('nope.Service'),
      (err: unknown) => err instanceof RepoServerClientError,
    );
    rs.handle.setServing(false);
    try {
      assert.equal(await client.checkHealth(), 'NOT_SERVING');
    } finally {
      rs.handle.setServing(true);
    }
  });

  it('refuses a client that does not trust the server certificate', async () => {
    const other = await createCertificateAuthority({ commonName: 'someone else' });
    const client = createRepoServerClient({
      address: rs.handle.url,
      tls: { kind: 'tls', caPem: other.certPem },
    });
    try {
      await assert.rejects(
        client.checkHealth(),
        (err: unknown) => err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE',
      );
    } finally {
      client.close();
    }
  });
});

describe('repo server with mutual TLS', () => {
  let rs: TestRepoServer;
  let clientCa: PemPair;
  before(async () => {
    clientCa = await createCertificateAuthority({ commonName: 'argocd-ts clients' });
    rs = await startTestRepoServer({ tls: { clientCaPem: clientCa.certPem } });
  });
  after(async () => {
    await rs.close();
  });

  it('accepts a client with a certificate from the client CA', async () => {
    const cert = await issueCertificate(clientCa, {
      commonName: 'argocd-server',
      clientAuth: true,
    });
    assert.equal(
      await rs
        .client({
          tls: { kind: 'tls', caPem: rs.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem },
        })
        .checkHealth(),
      'SERVING',
    );
  });

  it('refuses a client without a certificate', async () => {
    await assert.rejects(
      rs.client().checkHealth(),
      (err: unknown) => err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE',
    );
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const stranger = await createCertificateAuthority({ commonName: 'stranger' });
    const cert = await issueCertificate(stranger, { commonName: 'intruder', clientAuth: true });
    await assert.rejects(
      rs
        .client({
          tls: { kind: 'tls', caPem: rs.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem },
        })
        .checkHealth(),
      (err: unknown) => err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE',
    );
  });
});

describe('repo server without TLS (--disable-tls)', () => {
  let rs: TestRepoServer;
  let git: GitServer;
  before(async () => {
    git = await startGitServer({ username: USER, password: PASSWORD });
    await buildApps(git);
    rs = await startTestRepoServer({ tls: 'plaintext' });
  });
  after(async () => {
    await rs.close();
    await git.stop();
  });

  it('serves gRPC over h2c and Connect and gRPC-Web over HTTP/1.1 on one port', async () => {
    assert.match(rs.handle.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const protocol of ['grpc', 'connect', 'grpc-web'] as const) {
      const res = await rs.client({ protocol }).generateManifest({
        repo: gitRepo(git, 'apps'),
        applicationSource: { path: 'guestbook', targetRevision: 'v1.0' },
      });
      assert.deepEqual(
        names(res.manifests),
        ['ConfigMap/guestbook', 'Service/guestbook'],
        protocol,
      );
    }
  });
});

describe('repo server without config management tools', () => {
  let rs: TestRepoServer;
  let git: GitServer;
  before(async () => {
    git = await startGitServer({ username: USER, password: PASSWORD });
    await buildApps(git);
    rs = await startTestRepoServer({ tools: {} });
  });
  after(async () => {
    await rs.close();
    await git.stop();
  });

  for (const [path, tool] of [
    ['kustomize/base', 'kustomize'],
    ['charts/hello', 'helm'],
  ] as const) {
    it(`names ${tool} when it is needed but not installed`, async () => {
      await assert.rejects(
        rs.client().generateManifest({ repo: gitRepo(git, 'apps'), applicationSource: { path } }),
        (err: unknown) =>
          err instanceof RepoServerClientError &&
          err.code === 'ERR_TOOL_NOT_INSTALLED' &&
          err.message.includes(`${tool} is not installed`),
      );
    });
  }
});

describe('repo server certificate rotation', () => {
  it('serves a replaced certificate on new connections without a restart', async () => {
    const rs = await startTestRepoServer();
    try {
      assert.equal(await rs.client().checkHealth(), 'SERVING');
      const ca2 = await createCertificateAuthority({ commonName: 'rotated CA' });
      const leaf2 = await issueCertificate(ca2, {
        commonName: 'argocd-repo-server',
        hosts: ['127.0.0.1'],
        serverAuth: true,
      });
      rs.handle.setCertificate(leaf2);
      assert.equal(
        await rs.client({ tls: { kind: 'tls', caPem: ca2.certPem } }).checkHealth(),
        'SERVING',
      );
      await assert.rejects(
        rs.client().checkHealth(),
        (err: unknown) => err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE',
      );
    } finally {
      await rs.close();
    }
  });

  it('takes TLS options prepared by the TLS module and attaches and detaches its hook', async () => {
    const ca = await createCertificateAuthority({ commonName: 'prepared CA' });
    const leaf = await issueCertificate(ca, {
      commonName: 'argocd-repo-server',
      hosts: ['127.0.0.1'],
      serverAuth: true,
    });
    let attached = false;
    let detached = false;
    const handle = await startRepoServer(
      {
        ...TEST_REPO_SERVER_DEFAULTS,
        tls: {
          nodeOptions: { cert: leaf.certPem, key: leaf.keyPem, minVersion: 'TLSv1.3' },
          attach: (server) => {
            attached = typeof server.setSecureContext === 'function';
            return () => {
              detached = true;
            };
          },
        },
      },
      { logger: pino({ level: 'silent' }), registry: new Registry() },
    );
    const client = createRepoServerClient({
      address: handle.url,
      tls: { kind: 'tls', caPem: ca.certPem },
    });
    try {
      assert.equal(await client.checkHealth(), 'SERVING');
      assert.equal(attached, true);
    } finally {
      client.close();
      await handle.close();
    }
    assert.equal(detached, true);
  });
});
