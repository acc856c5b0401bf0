/**
 * gRPC, gRPC-Web and Connect on the API server's one port, with the REST handlers behind them,
 * through real Connect clients (gRPC over HTTP/2 + TLS, gRPC-Web and Connect over HTTP/1.1 + TLS)
 * against the real server and kube-apiserver: session (login, userinfo with the token as metadata,
 * logout), version, settings, account (can-i, accounts, API tokens, password change), projects
 * (RBAC-filtered list, CRUD, role tokens), repositories and clusters (credentials never in a
 * reply, checked on the raw bytes), gRPC status codes for refusals, an unknown method, and
 * `--insecure` (h2c) with `--rootpath`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toBinary, toJson, type JsonObject } from '@bufbuild/protobuf';
import { StructSchema, type Struct } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { decodeSecretData, type KubeObject, type Secret } from '../../src/apis/index.js';
import { Health } from '../../src/reposerver/gen/grpc/health/v1/health_pb.js';
import { AccountService } from '../../src/server/gen/argocd/server/account/account_pb.js';
import {
  ClusterListSchema,
  ClusterService,
} from '../../src/server/gen/argocd/server/cluster/cluster_pb.js';
import { ProjectService } from '../../src/server/gen/argocd/server/project/project_pb.js';
import {
  RepositoryListSchema,
  RepositoryService,
} from '../../src/server/gen/argocd/server/repository/repository_pb.js';
import { SessionService } from '../../src/server/gen/argocd/server/session/session_pb.js';
import {
  SettingsSchema,
  SettingsService,
} from '../../src/server/gen/argocd/server/settings/settings_pb.js';
import { VersionService } from '../../src/server/gen/argocd/server/version/version_pb.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';

const REPO_PASSWORD = 'repo-password-Q7x2';
const NEW_REPO_PASSWORD = 'new-repo-password-R8y3';
const CLUSTER_TOKEN = 'cluster-bearer-token-K5w9';
const CLUSTER_KEY = 'cluster-client-key-data-M4v6';
const OIDC_SECRET = 'oidc-client-secret-T3u8';
const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

function project(name: string): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: '*', namespace: '*' }],
      roles: [
        { name: 'ci', policies: [`p, proj:${name}:ci, applications, get, ${name}/*, allow`] },
      ],
    },
  };
}

function code(expected: Code): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ConnectError, String(e));
    assert.equal(Code[e.code], Code[expected], e.rawMessage);
    return true;
  };
}

function bytesOf(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1');
}

function json(s: Struct): JsonObject {
  return toJson(StructSchema, s);
}

describe('argocd-server gRPC, gRPC-Web and Connect', () => {
  let srv: TestApiServer;
  let transports: [string, Transport][];
  let grpc: Transport;
  let adminToken: string;

  before(async () => {
    srv = await startTestApiServer({
      namePrefix: 'srv-connect',
      cm: {
        'accounts.alice': 'login',
        'accounts.ci': 'apiKey',
        passwordPattern: '^.{10,64}$',
        'oidc.config': `name: Corp\nissuer: https://idp.example.com\nclientID: argo\nclientSecret: ${OIDC_SECRET}\n`,
      },
      rbac: {
        'policy.csv': 'p, role:team-a, projects, get, team-a, allow\ng, alice, role:team-a\n',
      },
      objects: [
        project('team-a'),
        project('team-b'),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'repo-private',
            labels: { 'argocd.argoproj.io/secret-type': 'repository' },
          },
          stringData: {
            url: 'https://git.example.com/private.git',
            username: 'git-user',
            password: REPO_PASSWORD,
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'cluster-remote',
            labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
          },
          stringData: {
            name: 'remote',
            server: 'https://remote.example.com:6443',
            config: JSON.stringify({
              bearerToken: CLUSTER_TOKEN,
              tlsClientConfig: { insecure: false, keyData: CLUSTER_KEY },
            }),
          },
        },
      ],
    });
    const nodeOptions = { ca: srv.caPem };
    grpc = createGrpcTransport({ baseUrl: srv.url, nodeOptions });
    transports = [
      ['gRPC', grpc],
      ['gRPC-Web', createGrpcWebTransport({ baseUrl: srv.url, httpVersion: '1.1', nodeOptions })],
      ['Connect', createConnectTransport({ baseUrl: srv.url, httpVersion: '1.1', nodeOptions })],
    ];
    const { token } = await createClient(SessionService, grpc).create({
      username: 'admin',
      password: srv.adminPassword,
    });
    adminToken = token;
    // the admin sets alice's password over gRPC (accounts, update: no new token for the admin)
    let renewed: string | null = null;
    await createClient(AccountService, grpc).updatePassword(
      { name: 'alice', currentPassword: srv.adminPassword, newPassword: 'alice-password-1' },
      { headers: { token: adminToken }, onHeader: (h) => (renewed = h.get('renew-token')) },
    );
    assert.equal(renewed, null);
    await srv.waitFor(async () => {
      try {
        await srv.login('alice', 'alice-password-1');
        return true;
      } catch {
        return false;
      }
    }, 'alice can log in');
  });
  after(async () => {
    await srv.close();
  });

  it('logs in, answers userinfo and can-i with the token as metadata, and logs out', async () => {
    for (const [name, transport] of transports) {
      const session = createClient(SessionService, transport);
      const account = createClient(AccountService, transport);
      const { token } = await session.create({ username: 'admin', password: srv.adminPassword });
      assert.equal(token.split('.').length, 3, name);
      const anon = await session.getUserInfo({});
      assert.equal(anon.loggedIn, false, name);
      const info = await session.getUserInfo({}, { headers: { token } });
      assert.equal(info.loggedIn, true, name);
      assert.equal(info.username, 'admin', name);
      assert.equal(info.iss, 'argocd', name);
      assert.ok(info.roles.includes('role:admin'), name);
      const yes = await account.canI(
        { resource: 'applications', action: 'get', subresource: 'team-a/ns/web' },
        { headers: { authorization: `Bearer ${token}` } },
      );
      assert.equal(yes.value, 'yes', name);
      await session.delete({}, { headers: { token } });
      const after = await session.getUserInfo({}, { headers: { token } });
      assert.equal(after.loggedIn, false, `${name}: the token is revoked`);
      await assert.rejects(
        account.canI(
          { resource: 'projects', action: 'get', subresource: 'x' },
          { headers: { token } },
        ),
        code(Code.Unauthenticated),
        `${name}: a revoked token is refused`,
      );
    }
  });

  it('answers can-i for the caller: yes within its role, no outside it', async () => {
    const alice = await srv.login('alice', 'alice-password-1');
    for (const [name, transport] of transports) {
      const account = createClient(AccountService, transport);
      const headers = { token: alice };
      const yes = await account.canI(
        { resource: 'projects', action: 'get', subresource: 'team-a' },
        { headers },
      );
      const no = await account.canI(
        { resource: 'projects', action: 'get', subresource: 'team-b' },
        { headers },
      );
      assert.deepEqual([yes.value, no.value], ['yes', 'no'], name);
    }
  });

  it('refuses bad credentials, a missing token and a forged one with gRPC status codes', async () => {
    const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"iss":"argocd","sub":"admin:login","jti":"x"}').toString('base64url')}.`;
    for (const [name, transport] of transports) {
      const session = createClient(SessionService, transport);
      const projects = createClient(ProjectService, transport);
      await assert.rejects(
        session.create({ username: 'admin', password: 'wrong-password' }),
        (e: unknown) =>
          e instanceof ConnectError &&
          e.code === Code.Unauthenticated &&
          e.rawMessage === 'Invalid username or password',
        name,
      );
      await assert.rejects(projects.list({}), code(Code.Unauthenticated), name);
      await assert.rejects(
        projects.list({}, { headers: { token: forged } }),
        code(Code.Unauthenticated),
        name,
      );
    }
    assert.ok(
      srv.securityEvents().some((l) => l.CWE === 287 && l.rpc === 'project.ProjectService/List'),
      'the refused token of an RPC is logged',
    );
  });

  it('lists only the projects RBAC lets the caller get, and refuses the others with PERMISSION_DENIED', async () => {
    const alice = await srv.login('alice', 'alice-password-1');
    for (const [name, transport] of transports) {
      const projects = createClient(ProjectService, transport);
      const mine = await projects.list({}, { headers: { token: alice } });
      assert.deepEqual(
        mine.items.map((p) => (p.metadata as JsonObject).name),
        ['team-a'],
        name,
      );
      const all = await projects.list({}, { headers: { token: adminToken } });
      const names = all.items.map((p) => (p.metadata as JsonObject).name);
      assert.ok(
        names.includes('team-a') && names.includes('team-b'),
        `${name}: ${JSON.stringify(names)}`,
      );
      const a = json(await projects.get({ name: 'team-a' }, { headers: { token: alice } }));
      assert.equal(a.kind, 'AppProject', name);
      assert.equal((a.metadata as JsonObject).name, 'team-a', name);
      await assert.rejects(
        projects.get({ name: 'team-b' }, { headers: { token: alice } }),
        (e: unknown) =>
          e instanceof ConnectError &&
          e.code === Code.PermissionDenied &&
          e.rawMessage.startsWith('permission denied: projects, get, team-b'),
        name,
      );
      await assert.rejects(
        projects.delete({ name: 'team-a' }, { headers: { token: alice } }),
        code(Code.PermissionDenied),
        name,
      );
    }
    assert.ok(
      srv.securityEvents().some((l) => l.CWE === 285 && l.security === 2),
      'denials are logged',
    );
    // beyond Argo CD: pages
    const projects = createClient(ProjectService, grpc);
    const first = await projects.list({ limit: 1n }, { headers: { token: adminToken } });
    assert.equal(first.items.length, 1);
    const cont = first.metadata?.continue;
    assert.equal(typeof cont, 'string');
    const second = await projects.list(
      { limit: 1n, continue: cont as string },
      { headers: { token: adminToken } },
    );
    assert.notDeepEqual(second.items[0], first.items[0]);
  });

  it('creates, reads, updates and deletes a project and its role tokens, as REST sees them', async () => {
    for (const [name, transport] of transports) {
      const projects = createClient(ProjectService, transport);
      const session = createClient(SessionService, transport);
      const headers = { token: adminToken };
      const pname = `grpc-${name.toLowerCase()}`;
      const created = json(
        await projects.create(
          { project: project(pname) as unknown as JsonObject, upsert: false },
          { headers },
        ),
      );
      assert.equal((created.metadata as JsonObject).name, pname, name);
      const viaRest = await srv.request('GET', `/api/v1/projects/${pname}`, {
        token: adminToken,
      });
      assert.equal(viaRest.status, 200, name);
      await assert.rejects(
        projects.create({ project: { metadata: { name: pname } }, upsert: false }, { headers }),
        code(Code.InvalidArgument),
        `${name}: a project without spec is invalid`,
      );
      const current = json(await projects.get({ name: pname }, { headers }));
      const spec = { ...(current.spec as JsonObject), description: 'changed over gRPC' };
      const updated = json(await projects.update({ project: { ...current, spec } }, { headers }));
      assert.equal((updated.spec as JsonObject).description, 'changed over gRPC', name);

      const { token } = await projects.createToken(
        { project: pname, role: 'ci', id: 'grpc-token', expiresIn: 3600n },
        { headers },
      );
      const asRole = await session.getUserInfo({}, { headers: { token } });
      assert.equal(asRole.username, `proj:${pname}:ci`, name);
      await projects.deleteToken({ project: pname, role: 'ci', id: 'grpc-token' }, { headers });
      await assert.rejects(
        projects.get({ name: pname }, { headers: { token } }),
        code(Code.Unauthenticated),
        `${name}: a deleted project token is refused`,
      );
      await projects.delete({ name: pname }, { headers });
      await assert.rejects(projects.get({ name: pname }, { headers }), code(Code.NotFound), name);
    }
  });

  it('never puts repository or cluster credentials in a reply (raw bytes)', async () => {
    const secrets = [REPO_PASSWORD, NEW_REPO_PASSWORD, CLUSTER_TOKEN, CLUSTER_KEY];
    const clean = (raw: string, what: string): void => {
      for (const s of secrets) assert.ok(!raw.includes(s), `${what} carries ${s}`);
    };
    for (const [name, transport] of transports) {
      const repos = createClient(RepositoryService, transport);
      const clusters = createClient(ClusterService, transport);
      const headers = { token: adminToken };
      const list = await repos.listRepositories({}, { headers });
      clean(bytesOf(toBinary(RepositoryListSchema, list)), `${name} ListRepositories`);
      const item = list.items.find((r) => r.repo === 'https://git.example.com/private.git');
      assert.ok(item, name);
      assert.equal(item.username, 'git-user', name);
      assert.equal(item.password, undefined, name);
      const one = await repos.get({ repo: 'https://git.example.com/private.git' }, { headers });
      clean(bytesOf(toBinary(StructSchema, one)), `${name} Get`);
      assert.equal(json(one).repo, 'https://git.example.com/private.git', name);

      const cl = await clusters.list({}, { headers });
      clean(bytesOf(toBinary(ClusterListSchema, cl)), `${name} cluster List`);
      const remote = cl.items.find((c) => c.name === 'remote');
      assert.ok(remote, name);
      assert.equal(remote.server, 'https://remote.example.com:6443', name);
      const byName = await clusters.get({ id: { type: 'name', value: 'remote' } }, { headers });
      clean(bytesOf(toBinary(StructSchema, byName)), `${name} cluster Get`);
      const byServer = json(
        await clusters.get({ server: 'https://remote.example.com:6443' }, { headers }),
      );
      assert.equal(byServer.name, 'remote', name);
      await assert.rejects(
        clusters.list({ selector: 'env=prod' }, { headers }),
        code(Code.InvalidArgument),
        name,
      );
    }
    // a repository created over gRPC keeps its password in the Secret, never in the answer
    const repos = createClient(RepositoryService, grpc);
    const created = await repos.createRepository(
      {
        repo: {
          repo: 'https://git.example.com/created.git',
          username: 'creator',
          password: NEW_REPO_PASSWORD,
        },
      },
      { headers: { token: adminToken } },
    );
    clean(bytesOf(toBinary(StructSchema, created)), 'CreateRepository');
    assert.equal(json(created).username, 'creator');
    const stored = await srv.kube.list<Secret>(
      { ...SECRETS, namespace: srv.namespace },
      { labelSelector: 'argocd.argoproj.io/secret-type=repository' },
    );
    const secret = stored.items.find(
      (s) => decodeSecretData(s).url === 'https://git.example.com/created.git',
    );
    assert.ok(secret);
    assert.equal(decodeSecretData(secret).password, NEW_REPO_PASSWORD);
    // the Connect protocol's JSON on the wire, byte for byte
    for (const path of [
      '/repository.RepositoryService/ListRepositories',
      '/cluster.ClusterService/List',
    ]) {
      const res = await srv.request('POST', path, { body: {}, token: adminToken });
      assert.equal(res.status, 200, res.text);
      clean(res.text, path);
      assert.match(res.text, /"items":\[/);
    }
    await repos.deleteRepository(
      { repo: 'https://git.example.com/created.git' },
      { headers: { token: adminToken } },
    );
    await assert.rejects(
      repos.get(
        { repo: 'https://git.example.com/private.git' },
        { headers: { token: await srv.login('alice', 'alice-password-1') } },
      ),
      code(Code.PermissionDenied),
    );
  });

  it('manages accounts, API tokens and passwords', async () => {
    const account = createClient(AccountService, grpc);
    const session = createClient(SessionService, grpc);
    const headers = { token: adminToken };
    const list = await account.listAccounts({}, { headers });
    assert.deepEqual(list.items.map((a) => a.name).sort(), ['admin', 'alice', 'ci']);
    const ci = await account.getAccount({ name: 'ci' }, { headers });
    assert.deepEqual(ci.capabilities, ['apiKey']);

    const { token } = await account.createToken(
      { name: 'ci', id: 'grpc-key', expiresIn: 600n },
      { headers },
    );
    const who = await session.getUserInfo({}, { headers: { token } });
    assert.equal(who.username, 'ci');
    const withToken = await account.getAccount({ name: 'ci' }, { headers });
    const rec = withToken.tokens.find((t) => t.id === 'grpc-key');
    assert.ok(rec);
    assert.equal(rec.expiresAt - rec.issuedAt, 600n);
    await account.deleteToken({ name: 'ci', id: 'grpc-key' }, { headers });
    assert.equal((await session.getUserInfo({}, { headers: { token } })).loggedIn, false);

    // alice may not read other accounts
    const alice = await srv.login('alice', 'alice-password-1');
    await assert.rejects(
      account.listAccounts({}, { headers: { token: alice } }),
      code(Code.PermissionDenied),
    );
    await assert.rejects(
      account.createToken({ name: 'ci' }, { headers: { token: alice } }),
      code(Code.PermissionDenied),
    );
    // her own password: the current one is required, the new token comes as renew-token
    await assert.rejects(
      account.updatePassword(
        { currentPassword: 'wrong-password-1', newPassword: 'alice-password-2' },
        { headers: { token: alice } },
      ),
    );
    let renewed: string | null = null;
    await account.updatePassword(
      { currentPassword: 'alice-password-1', newPassword: 'alice-password-2' },
      { headers: { token: alice }, onHeader: (h) => (renewed = h.get('renew-token')) },
    );
    assert.ok(renewed);
    const fresh = await session.getUserInfo({}, { headers: { token: renewed } });
    assert.equal(fresh.username, 'alice');
    await srv.waitFor(
      async () => !(await session.getUserInfo({}, { headers: { token: alice } })).loggedIn,
      'the token from before the change is refused',
    );
    await account.updatePassword(
      { name: 'alice', currentPassword: srv.adminPassword, newPassword: 'alice-password-1' },
      { headers },
    );
  });

  it('answers settings without secrets, reduced for anonymous callers', async () => {
    for (const [name, transport] of transports) {
      const settings = createClient(SettingsService, transport);
      const anon = await settings.get({});
      assert.equal(anon.passwordPattern, '', name);
      assert.equal(anon.oidcConfig?.clientID, 'argo', name);
      assert.ok(!bytesOf(toBinary(SettingsSchema, anon)).includes(OIDC_SECRET), name);
      const full = await settings.get({}, { headers: { token: adminToken } });
      assert.equal(full.passwordPattern, '^.{10,64}$', name);
      assert.equal(full.controllerNamespace, srv.namespace, name);
      assert.ok(!bytesOf(toBinary(SettingsSchema, full)).includes(OIDC_SECRET), name);
    }
  });

  it('answers an anonymous Version call with only Version, a logged-in one with everything', async () => {
    const version = createClient(VersionService, grpc);
    const anon = await version.version({});
    assert.match(anon.Version, /^v\d/);
    assert.equal(anon.Platform, '');
    const full = await version.version({}, { headers: { token: adminToken } });
    assert.equal(full.Platform, `${process.platform}/${process.arch}`);
  });

  it('answers an unknown method with UNIMPLEMENTED over gRPC and gRPC-Web', async () => {
    for (const [name, transport] of transports) {
      await assert.rejects(
        createClient(Health, transport).check({ service: '' }),
        code(Code.Unimplemented),
        name,
      );
    }
  });
});

describe('argocd-server gRPC with --insecure (h2c) and --rootpath', () => {
  let srv: TestApiServer;

  before(async () => {
    srv = await startTestApiServer({
      namePrefix: 'srv-connect-h2c',
      options: { insecure: true, rootpath: '/argo' },
    });
  });
  after(async () => {
    await srv.close();
  });

  it('serves gRPC over h2c at the root and gRPC-Web under the root path', async () => {
    assert.match(srv.url, /^http:\/\//);
    const grpc = createGrpcTransport({ baseUrl: srv.url });
    const { token } = await createClient(SessionService, grpc).create({
      username: 'admin',
      password: srv.adminPassword,
    });
    const info = await createClient(SessionService, grpc).getUserInfo({}, { headers: { token } });
    assert.equal(info.username, 'admin');
    const web = createGrpcWebTransport({ baseUrl: `${srv.url}/argo`, httpVersion: '1.1' });
    const viaWeb = await createClient(SessionService, web).getUserInfo({}, { headers: { token } });
    assert.equal(viaWeb.username, 'admin');
    const outside = createGrpcWebTransport({ baseUrl: srv.url, httpVersion: '1.1' });
    await assert.rejects(
      createClient(SessionService, outside).getUserInfo({}, { headers: { token } }),
      code(Code.Unimplemented),
    );
  });
});
