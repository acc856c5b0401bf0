import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createRepoServerClient } from '../reposerver/client.js';
import { createCertificateAuthority, issueCertificate, type PemPair } from '../tls/index.js';

const bin = fileURLToPath(new URL('../../bin/argocd-repo-server.js', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly metricsPort: number;
  readonly exited: Promise<number | null>;
}

/** Starts the real binary and waits for its two "listening" log lines. */
function start(args: string[], env: Record<string, string> = {}): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => {
      child.once('exit', (code) => {
        r(code);
      });
    });
    let port = 0;
    let metricsPort = 0;
    let buf = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`argocd-repo-server did not start: ${buf} ${err}`));
    }, 30_000);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; port?: number };
          if (rec.msg === 'repo server listening') port = rec.port ?? 0;
          if (rec.msg === 'metrics listening') metricsPort = rec.port ?? 0;
        } catch {
          // a partial line: the next chunk completes it
        }
      }
      if (port && metricsPort) {
        clearTimeout(timer);
        resolve({ child, port, metricsPort, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`argocd-repo-server exited with ${code}: ${err}`));
    });
  });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    }).on('error', reject);
  });
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // a program that fails to start must exit by itself: kill it (and fail) if it hangs
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('argocd-repo-server binary', () => {
  let dir: string;
  let ca: PemPair;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argocd-ts-rs-bin-'));
    ca = await createCertificateAuthority({ commonName: 'repo server test CA' });
    const leaf = await issueCertificate(ca, {
      commonName: 'argocd-repo-server',
      hosts: ['127.0.0.1', 'localhost'],
      serverAuth: true,
    });
    await writeFile(join(dir, 'tls.crt'), leaf.certPem);
    await writeFile(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves TLS with the mounted certificate, metrics and health, and stops on SIGTERM', async () => {
    const s = await start(
      [
        '--listen',
        '127.0.0.1',
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--tls-cert-dir',
        dir,
        '--client-ca-path',
        join(dir, 'none'),
      ],
      { ARGOCD_REPO_SERVER_LISTEN_METRICS_ADDRESS: '127.0.0.1' },
    );
    try {
      const client = createRepoServerClient({
        address: `127.0.0.1:${s.port}`,
        tls: { kind: 'tls', caPem: ca.certPem },
      });
      try {
        assert.equal(await client.checkHealth(), 'SERVING');
      } finally {
        client.close();
      }
      const metrics = await httpGet(`http://127.0.0.1:${s.metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /argocd_repo_server_manifest_cache_requests_total/);
      assert.equal((await httpGet(`http://127.0.0.1:${s.metricsPort}/healthz`)).status, 200);
      s.child.kill('SIGTERM');
      assert.equal(await s.exited, 0);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  });

  it('serves plaintext when ARGOCD_REPO_SERVER_DISABLE_TLS is set', async () => {
    const s = await start(
      [
        '--address',
        '127.0.0.1',
        '--port',
        '0',
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        '0',
      ],
      {
        ARGOCD_REPO_SERVER_DISABLE_TLS: 'true',
      },
    );
    try {
      const client = createRepoServerClient({
        address: `127.0.0.1:${s.port}`,
        tls: { kind: 'plaintext' },
      });
      try {
        assert.equal(await client.checkHealth(), 'SERVING');
      } finally {
        client.close();
      }
      s.child.kill('SIGTERM');
      assert.equal(await s.exited, 0);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  });

  const bad: { name: string; args: string[]; env?: Record<string, string>; mentions: RegExp }[] = [
    { name: 'a port that is not a number', args: ['--port', 'abc'], mentions: /--port/ },
    {
      name: 'a size the env var gets wrong',
      args: [],
      env: { ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE: '10Q' },
      mentions: /ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE/,
    },
    {
      name: 'TLS 1.1',
      args: ['--tlsminversion', '1.1'],
      mentions: /TLS 1\.0 and 1\.1 are not supported/,
    },
    {
      name: 'an unknown cipher suite',
      args: ['--tlsciphers', 'TLS_NULL'],
      mentions: /unknown cipher suite "TLS_NULL"/,
    },
    {
      name: '--listen and --address that disagree',
      args: ['--listen', '127.0.0.1', '--address', '127.0.0.2'],
      mentions: /disagree/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with exit status 2 and says which setting`, async () => {
      const r = await run(['--port', '0', '--metrics-port', '0', ...c.args], c.env ?? {});
      assert.equal(r.code, 2);
      assert.match(r.stderr, c.mentions);
    });
  }

  it('refuses a mounted certificate without its key', async () => {
    const half = await mkdtemp(join(tmpdir(), 'argocd-ts-rs-half-'));
    try {
      await writeFile(join(half, 'tls.crt'), ca.certPem);
      const r = await run([
        '--address',
        '127.0.0.1',
        '--port',
        '0',
        '--metrics-port',
        '0',
        '--tls-cert-dir',
        half,
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /only one of tls\.crt and tls\.key/);
    } finally {
      await rm(half, { recursive: true, force: true });
    }
  });

  it('exits non-zero with the address and the flag to change when its port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const r = await run([
        '--address',
        '127.0.0.1',
        '--port',
        String(port),
        '--metrics-port',
        '0',
        '--tls-cert-dir',
        dir,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `argocd-repo-server: failed to listen on 127\\.0\\.0\\.1:${port} \\(repo server\\): the address is already in use; .* --port`,
        ),
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
    } finally {
      holder.close();
    }
  });

  it('prints its flags with their environment variables and defaults', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const want of [
      /--port <value> .*\(env ARGOCD_REPO_SERVER_PORT\) \(default: 8081\)/,
      /--max-combined-directory-manifests-size .*\(default: 10M\)/,
      /--allow-oob-symlinks .*ARGOCD_REPO_SERVER_ALLOW_OOB_SYMLINKS/,
      /--disable-tls/,
      /--parallelismlimit/,
    ])
      assert.match(r.stdout.replace(/\s+/g, ' '), want);
  });
});
