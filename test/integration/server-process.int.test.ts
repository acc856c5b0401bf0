/**
 * The `argocd-server` binary (bin/argocd-server.js) as real processes against the real
 * kube-apiserver: help and flag errors, `--tlsciphers list`, settings from environment variables
 * (as argocd-cmd-params-cm sets them), metrics on their own port, plain HTTP redirected, two
 * replicas sharing login failure counters and token revocations through a real Redis
 * (`--redis`), and a graceful SIGTERM (exit 0).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { ConfigNames, decodeSecretData, type Secret } from '../../src/apis/index.js';
import {
  sendRequest,
  startApiServerProcess,
  type ApiServerProcess,
  type HttpResponse,
  type RequestOptions,
} from '../support/api-server.js';
import { installCrds, kube, repoRoot, tempNamespace } from '../support/kube.js';
import { startRedisServer, type RedisServer } from '../support/redis.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(repoRoot, 'bin', 'argocd-server.js'), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      resolve({ code, out });
    });
  });
}

describe('argocd-server binary', () => {
  it('prints help with flags, environment variables and defaults, refuses bad values with exit 2, and lists cipher suites', async () => {
    const [help, bad, list] = await Promise.all([
      run(['--help']),
      run(['--port', 'eighty']),
      run(['--tlsciphers', 'list']),
    ]);
    assert.equal(help.code, 0);
    for (const s of [
      '--insecure',
      'ARGOCD_SERVER_INSECURE',
      '--api-content-types',
      'ARGOCD_API_CONTENT_TYPES',
      '(default: application/json)',
      '--repo-server-strict-tls',
      '--dex-server',
      '--rootpath',
      '--redis',
      '--disable-auth',
      '--staticassets',
    ])
      assert.ok(help.out.includes(s), s);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /--port/);
    assert.equal(list.code, 0);
    assert.match(list.out, /TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384/);
  });
});

describe('argocd-server replicas sharing Redis', () => {
  let redis: RedisServer;
  let ns: { name: string; cleanup: () => Promise<void> };
  let a: ApiServerProcess;
  let b: ApiServerProcess;
  let ca: string;
  let adminPassword: string;
  const env = (r: RedisServer): Record<string, string> => ({
    REDIS_PASSWORD: r.password,
    ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT: '2',
    ARGOCD_SERVER_X_FRAME_OPTIONS: 'deny',
  });
  const req = (
    p: ApiServerProcess,
    method: string,
    path: string,
    o?: RequestOptions,
  ): Promise<HttpResponse> => sendRequest(p.url, ca, method, path, o);

  before(async () => {
    redis = await startRedisServer();
    await installCrds();
    ns = await tempNamespace('srv-proc');
    const k = await kube();
    await k.create(
      { group: '', version: 'v1', resource: 'configmaps', namespace: ns.name },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ConfigNames.cm },
        data: { url: 'https://argocd.example.com' },
      },
    );
    a = await startApiServerProcess(ns.name, ['--redis', `127.0.0.1:${redis.port}`], env(redis));
    b = await startApiServerProcess(
      ns.name,
      ['--redis', `redis://127.0.0.1:${redis.port}`],
      env(redis),
    );
    const secret = await k.get<Secret>({
      ...SECRETS,
      namespace: ns.name,
      name: ConfigNames.secret,
    });
    ca = decodeSecretData(secret)['tls.crt'] ?? '';
    const initial = await k.get<Secret>({
      ...SECRETS,
      namespace: ns.name,
      name: ConfigNames.initialAdminSecret,
    });
    adminPassword = decodeSecretData(initial).password ?? '';
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await ns.cleanup();
    await redis.stop();
  });

  it('serves TLS with the header set through the environment, redirects plain HTTP and exposes metrics', async () => {
    const res = await req(a, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-frame-options'], 'deny');
    const port = Number(new URL(a.url).port);
    const raw = await new Promise<string>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => {
        s.write('GET /x HTTP/1.1\r\nHost: argocd.example.com\r\nConnection: close\r\n\r\n');
      });
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('end', () => {
        resolve(out);
      });
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 307/);
    assert.ok(a.metricsUrl);
    const metrics = await sendRequest(a.metricsUrl, undefined, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.text,
      /argocd_server_http_requests_total\{method="GET",route="\/healthz",code="200"\}/,
    );
    assert.match(metrics.text, /process_cpu_user_seconds_total/);
  });

  it('shares revocations: a logout on one replica is refused on the other', async () => {
    const login = await req(a, 'POST', '/api/v1/session', {
      body: { username: 'admin', password: adminPassword },
    });
    assert.equal(login.status, 200, login.text);
    const token = login.json<{ token: string }>().token;
    assert.equal(
      (await req(b, 'GET', '/api/v1/session/userinfo', { token })).json().loggedIn,
      true,
    );
    assert.equal(
      (await req(a, 'DELETE', '/api/v1/session', { token, contentType: 'application/json' }))
        .status,
      200,
    );
    const deadline = Date.now() + 10_000;
    let loggedIn = true;
    while (loggedIn && Date.now() < deadline) {
      loggedIn =
        (await req(b, 'GET', '/api/v1/session/userinfo', { token })).json().loggedIn === true;
      if (loggedIn) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(loggedIn, false);
  });

  it('shares login failure counters: failures on both replicas lock the user out on each', async () => {
    const wrong = { username: 'admin', password: 'not-the-password' };
    assert.equal((await req(a, 'POST', '/api/v1/session', { body: wrong })).status, 401);
    assert.equal((await req(b, 'POST', '/api/v1/session', { body: wrong })).status, 401);
    const right = await req(a, 'POST', '/api/v1/session', {
      body: { username: 'admin', password: adminPassword },
    });
    assert.equal(right.status, 401);
    assert.equal(right.json().message, 'Invalid username or password');
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    const code = await b.stop();
    assert.equal(code, 0);
    assert.ok(b.logs.some((l) => l.msg === 'stopped'));
    assert.ok(!JSON.stringify([...a.logs, ...b.logs]).includes(redis.password));
    assert.ok(!JSON.stringify([...a.logs, ...b.logs]).includes(adminPassword));
  });
});
