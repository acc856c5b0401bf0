/**
 * argocd-dex-server as a program (bin/argocd-dex-server.js) against the real test cluster:
 * settings from argocd-cm / argocd-secret in a temporary namespace, TLS from a mounted directory,
 * a self-signed pair, or none; signing keys persisted in a Secret across restarts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import * as client from 'openid-client';
import {
  createRemoteJWKSet,
  customFetch as joseFetch,
  decodeProtectedHeader,
  jwtVerify,
} from 'jose';
import { decodeSecretData, type Secret } from '../../src/apis/index.js';
import type { KubeClient } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { createConnectorFetch, decodeKeySet, issuerFor } from '../../src/oidc/index.js';
import { issueCertificate } from '../../src/tls/index.js';
import { kube, repoRoot, tempNamespace } from '../support/kube.js';
import {
  Browser,
  SERVER_SECRET_KEY,
  beginLogin,
  hashPassword,
  loginWithPassword,
  relyingParty,
  testPki,
} from '../support/oidc.js';

const configmaps = { group: '', version: 'v1', resource: 'configmaps' } as const;
const secrets = { group: '', version: 'v1', resource: 'secrets' } as const;

const DEX_CONFIG = `
enablePasswordDB: true
staticPasswords:
  - email: erin@example.com
    hash: "${hashPassword('erin-password')}"
    username: erin
    userID: erin-1
    groups: [ops]
`;

interface Program {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly logs: string[];
  /** SIGTERM by PID; resolves with the exit code */
  stop(): Promise<number | null>;
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      resolve(code);
    }),
  );
}

/** Starts the program; resolves once it logs that it serves, or with its exit when it fails. */
async function startProgram(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Program | { exitCode: number | null; logs: string[] }> {
  const { kubeconfigPath } = await testCluster();
  const proc = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'argocd-dex-server.js'),
      '--kubeconfig',
      kubeconfigPath,
      '--address',
      '127.0.0.1',
      '--port',
      '0',
      '--logformat',
      'json',
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  let buf = '';
  const serving = new Promise<string | undefined>((resolve) => {
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const o = JSON.parse(line) as { msg?: string; url?: string };
          if (o.msg === 'argocd-dex-server is serving') resolve(o.url);
        } catch {
          // not JSON (a stack trace): kept in logs
        }
      }
    });
    proc.once('exit', () => {
      resolve(undefined);
    });
  });
  const url = await serving;
  if (url === undefined) return { exitCode: await exited(proc), logs };
  return {
    proc,
    url,
    logs,
    async stop() {
      if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM');
      return exited(proc);
    },
  };
}

function started(p: Program | { exitCode: number | null; logs: string[] }): Program {
  assert.ok('url' in p, `the program did not start:\n${p.logs.join('\n')}`);
  return p;
}

async function writeSettings(
  k: KubeClient,
  ns: string,
  cm: Record<string, string>,
  secret: Record<string, string> = { 'server.secretkey': SERVER_SECRET_KEY },
): Promise<void> {
  await k.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: ns },
      data: cm,
    },
    { fieldManager: 'test' },
  );
  await k.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', namespace: ns },
      stringData: secret,
    },
    { fieldManager: 'test' },
  );
}

function peerCertificate(url: string, ca?: string): Promise<PeerCertificate> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: u.hostname,
        port: Number(u.port),
        servername: 'localhost',
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca }),
      },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      },
    );
    socket.on('error', reject);
  });
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('argocd-dex-server program', () => {
  let k: KubeClient;
  let ns: { name: string; cleanup: () => Promise<void> };
  let dir: string;
  before(async () => {
    k = await kube();
    ns = await tempNamespace('dex');
    dir = mkdtempSync(join(tmpdir(), 'argocd-dex-test-'));
  });
  after(async () => {
    await ns.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the mounted pair, follows argocd-cm, logs a user in and keeps its keys across a restart', async () => {
    const pki = await testPki();
    const tlsDir = join(dir, 'mounted');
    mkdirSync(tlsDir);
    writeFileSync(join(tlsDir, 'tls.crt'), pki.serving.certPem);
    writeFileSync(join(tlsDir, 'tls.key'), pki.serving.keyPem);
    writeFileSync(join(tlsDir, 'ca.crt'), pki.ca.certPem);
    await writeSettings(k, ns.name, {
      url: 'https://argocd.example.com',
      'dex.config': DEX_CONFIG,
    });

    const args = ['--namespace', ns.name, '--tls-dir', tlsDir, '--tls-reload-interval', '200ms'];
    const first = started(await startProgram(args));
    let second: Program | undefined;
    try {
      const trusting = createConnectorFetch({ ca: pki.ca.certPem });
      const url = first.url;
      const issuer = issuerFor(url);
      // the issuer follows argocd-cm url without a restart
      await writeSettings(k, ns.name, { url, 'dex.config': DEX_CONFIG });
      await eventually('the new issuer', async () => {
        const res = await trusting(`${issuer}/.well-known/openid-configuration`);
        const doc = (await res.json()) as { issuer?: string };
        return doc.issuer === issuer ? true : undefined;
      });

      const rp = await relyingParty(issuer, 'argo-cd', { fetch: trusting });
      const attempt = await beginLogin(rp, `${url}/auth/callback`);
      const callback = await loginWithPassword(
        new Browser({ ca: pki.ca.certPem }),
        attempt,
        'erin@example.com',
        'erin-password',
      );
      const tokens = await client.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: attempt.verifier,
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
      });
      const idToken = tokens.id_token ?? '';
      const verify = (keysUrl: string) =>
        jwtVerify(idToken, createRemoteJWKSet(new URL(keysUrl), { [joseFetch]: trusting }), {
          issuer,
          audience: 'argo-cd',
          algorithms: ['RS256'],
        });
      const { payload } = await verify(`${issuer}/keys`);
      assert.deepEqual(payload.groups, ['ops']);

      // the signing key lives in the argocd-dex-server-keys Secret
      const keys = await k.get<Secret>({
        ...secrets,
        namespace: ns.name,
        name: 'argocd-dex-server-keys',
      });
      const stored = decodeKeySet(decodeSecretData(keys)['keys.json'] ?? '');
      assert.equal(stored.keys[0]?.kid, decodeProtectedHeader(idToken).kid);

      // a renewed mounted certificate is served without a restart
      const before = await peerCertificate(first.url, pki.ca.certPem);
      const renewed = await issueCertificate(pki.ca, {
        commonName: 'argocd-dex-server',
        hosts: ['localhost', '127.0.0.1'],
      });
      writeFileSync(join(tlsDir, 'tls.key'), renewed.keyPem);
      writeFileSync(join(tlsDir, 'tls.crt'), renewed.certPem);
      await eventually('the renewed certificate', async () => {
        const now = await peerCertificate(first.url, pki.ca.certPem);
        return now.serialNumber !== before.serialNumber ? true : undefined;
      });

      assert.equal(await first.stop(), 0, 'SIGTERM is a clean shutdown');
      second = started(await startProgram(args));
      await verify(`${second.url}/api/dex/keys`);
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('serves a new self-signed certificate when none is mounted', async () => {
    await writeSettings(k, ns.name, {
      url: 'https://argocd.example.com',
      'dex.config': DEX_CONFIG,
    });
    const p = started(await startProgram(['--namespace', ns.name, '--tls-dir', join(dir, 'none')]));
    try {
      const cert = await peerCertificate(p.url);
      assert.equal(cert.subject.CN, 'argocd-dex-server');
      assert.equal(cert.issuer.CN, 'argocd-dex-server');
      assert.match(
        cert.subjectaltname ?? '',
        new RegExp(`DNS:argocd-dex-server\\.${ns.name}\\.svc\\b`),
      );
      await assert.rejects(
        fetch(`${p.url}/healthz`),
        'an unverifiable certificate is refused by default',
      );
    } finally {
      await p.stop();
    }
  });

  it('serves plain HTTP with ARGOCD_DEX_SERVER_DISABLE_TLS=true', async () => {
    const p = started(
      await startProgram(['--namespace', ns.name], { ARGOCD_DEX_SERVER_DISABLE_TLS: 'true' }),
    );
    try {
      assert.ok(p.url.startsWith('http://'));
      const res = await fetch(`${p.url}/healthz`);
      assert.equal(res.status, 200);
      assert.ok(p.logs.some((l) => l.includes('TLS is disabled')));
      assert.ok(
        !p.logs.some((l) => l.includes('oidc-provider')),
        `no library warnings on Node 20:\n${p.logs.join('\n')}`,
      );
      assert.ok(
        p.logs.every((l) => l.startsWith('{')),
        'every line is JSON with --logformat json',
      );
    } finally {
      await p.stop();
    }
  });

  const refusals = [
    {
      name: 'without url in argocd-cm, saying to set it',
      cm: { 'dex.config': DEX_CONFIG },
      want: /argocd-cm in namespace .* has no \\"url\\": set it/,
    },
    {
      name: 'with a connector type it does not implement, naming the connector',
      cm: {
        url: 'https://argocd.example.com',
        'dex.config': 'connectors: [{type: ldap, id: corp-ldap, name: LDAP, config: {}}]',
      },
      want: /connector \\"corp-ldap\\" has type \\"ldap\\"/,
    },
  ];
  for (const c of refusals) {
    it(`refuses to start ${c.name}`, async () => {
      await k.replace(
        { ...configmaps, namespace: ns.name, name: 'argocd-cm' },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'argocd-cm', namespace: ns.name },
          data: c.cm,
        },
      );
      const res = await startProgram(['--namespace', ns.name, '--disable-tls']);
      assert.ok(!('url' in res), 'the program must not serve');
      assert.equal(res.exitCode, 1);
      assert.match(res.logs.join('\n'), c.want);
    });
  }
});
