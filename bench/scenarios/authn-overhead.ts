/**
 * `authn-overhead`: what authentication costs a request. The real API server (startApiServer:
 * TLS, the whole request chain, watch cache on the real kube-apiserver) runs in a child process
 * with one extra cheap route, `GET /api/v1/bench/noop` (auth optional, answers `{}`). The client
 * (this process) sends requests over the same HTTP/2 connections, 16 in flight: runs of
 * unauthenticated requests (no token: the chain skips verification) and runs of authenticated ones
 * (`Authorization: Bearer <login token>`: token extraction, HS256 signature check (cached),
 * expiry, revocation, account, capability and password-change checks, renewal check), interleaved
 * in pairs so the noise of this shared machine hits both alike. Ratio = authenticated requests/s
 * / unauthenticated requests/s, median over the pairs; target >= 0.8.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { ConfigNames, decodeSecretData, type Secret } from '../../src/apis/index.js';
import { KubeClient, loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { startApiServer, type ApiService } from '../../src/server/index.js';
import { installCrds } from '../../test/support/kube.js';
import { interleave, median, round, type BenchResult, type Scenario, type Size } from '../lib.js';

const ROLE_ENV = 'ARGOCD_TS_BENCH_AUTHN_SERVER';
const TARGET = 0.8;
const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

interface Ready {
  url: string;
  ca: string;
  adminPassword: string;
}

const benchService: ApiService = {
  name: 'bench',
  register(routes) {
    routes.route({
      method: 'GET',
      path: '/api/v1/bench/noop',
      auth: 'optional',
      handler: () => ({}),
    });
  },
};

/** The child: a namespace, argocd-cm, the API server; reports its URL, CA and admin password. */
async function serve(): Promise<void> {
  await installCrds();
  const cluster = await testCluster();
  const kube = new KubeClient(loadKubeconfig(cluster.kubeconfigPath), { qps: 0 });
  const namespace = `argocd-ts-bench-authn-${process.pid}`;
  await kube.create(
    { group: '', version: 'v1', resource: 'namespaces' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  );
  await kube.create(
    { group: '', version: 'v1', resource: 'configmaps', namespace },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ConfigNames.cm },
      data: { url: 'https://argocd.example.com' },
    },
  );
  const server = await startApiServer(
    { namespace, address: '127.0.0.1', port: 0, shutdownGraceMs: 1000 },
    { kube, services: [benchService], loginOptions: { delayMinMs: 0, delayMaxMs: 0 } },
  );
  const secret = await kube.get<Secret>({ ...SECRETS, namespace, name: ConfigNames.secret });
  const initial = await kube.get<Secret>({
    ...SECRETS,
    namespace,
    name: ConfigNames.initialAdminSecret,
  });
  const ready: Ready = {
    url: server.url,
    ca: decodeSecretData(secret)['tls.crt'] ?? '',
    adminPassword: decodeSecretData(initial).password ?? '',
  };
  process.send?.(ready);
  await once(process, 'SIGTERM');
  await server.close();
  await kube.delete({ group: '', version: 'v1', resource: 'namespaces', name: namespace });
  kube.close();
  process.exit(0);
}

function request(
  session: ClientHttp2Session,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':path': path,
      ':method': body === undefined ? 'GET' : 'POST',
      ...headers,
    });
    let status = 0;
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (d: string) => (text += d));
    req.on('end', () => {
      resolve({ status, text });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests per second of `total` requests of one kind over all sessions with `lanes` in flight. */
async function rate(
  sessions: readonly ClientHttp2Session[],
  headers: Record<string, string>,
  total: number,
  lanes: number,
): Promise<number> {
  let issued = 0;
  const lane = async (i: number): Promise<void> => {
    const session = sessions[i % sessions.length];
    if (!session) throw new Error('no session');
    while (issued < total) {
      issued++;
      const res = await request(session, '/api/v1/bench/noop', headers);
      if (res.status !== 200) throw new Error(`bench request failed: ${res.status} ${res.text}`);
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  return total / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const SIZES: Readonly<Record<Size, { pairs: number; perSide: number }>> = {
  S: { pairs: 5, perSide: 1000 },
  M: { pairs: 7, perSide: 2500 },
  L: { pairs: 9, perSide: 5000 },
};
const LANES = 16;
const SESSIONS = 4;

export const scenario: Scenario = {
  name: 'authn-overhead',
  description:
    'API requests/s with a bearer token vs without, same handler and HTTP/2 connections (real server, real TLS)',
  async run(ctx): Promise<BenchResult> {
    const size = SIZES[ctx.size];
    const cluster = await testCluster();
    let child: ChildProcess | undefined;
    const sessions: ClientHttp2Session[] = [];
    try {
      child = fork(fileURLToPath(import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, [ROLE_ENV]: '1', ARGOCD_TS_TEST_KUBECONFIG: cluster.kubeconfigPath },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [ready] = (await once(child, 'message')) as [Ready];
      ctx.log(`API server in child pid ${child.pid ?? '?'} at ${ready.url}`);
      for (let i = 0; i < SESSIONS; i++) {
        const s = h2connect(ready.url, { ca: ready.ca });
        s.on('error', () => undefined);
        sessions.push(s);
      }
      const first = sessions[0];
      if (!first) throw new Error('no session');
      const login = await request(
        first,
        '/api/v1/session',
        { 'content-type': 'application/json' },
        JSON.stringify({ username: 'admin', password: ready.adminPassword }),
      );
      if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
      const token = (JSON.parse(login.text) as { token: string }).token;
      const auth = { authorization: `Bearer ${token}` };
      ctx.log('warm-up');
      await rate(sessions, {}, 500, LANES);
      await rate(sessions, auth, 500, LANES);
      ctx.log(
        `${size.pairs} interleaved pairs of ${size.perSide} requests per side, ${LANES} in flight over ${SESSIONS} HTTP/2 connections`,
      );
      const r = await interleave(
        size.pairs,
        () => rate(sessions, {}, size.perSide, LANES),
        () => rate(sessions, auth, size.perSide, LANES),
      );
      for (let i = 0; i < size.pairs; i++)
        ctx.log(
          `pair ${i + 1}: unauthenticated ${Math.round(r.reference[i] ?? NaN)}/s, authenticated ${Math.round(r.candidate[i] ?? NaN)}/s, ratio ${round(r.ratios[i] ?? NaN)}`,
        );
      const ratios = r.ratios;
      const ratio = median(ratios);
      return {
        scenario: 'authn-overhead',
        metric: 'authenticated_requests_per_second',
        value: median(r.candidate),
        unit: 'requests/s',
        reference: median(r.reference),
        ratio,
        target: `>= ${TARGET}x unauthenticated requests to the same handler`,
        pass: ratio >= TARGET,
        details: {
          pairs: size.pairs,
          requestsPerSidePerBlock: size.perSide,
          lanes: LANES,
          http2Sessions: SESSIONS,
          ratios: ratios.map((r) => round(r)),
        },
      };
    } finally {
      for (const s of sessions) s.close();
      if (child?.pid !== undefined && child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
  },
};

if (process.env[ROLE_ENV] === '1') await serve();
