/**
 * Server-side TLS over real loopback connections: versions, cipher suites (and the IANA-to-OpenSSL
 * mapping, checked against the suite OpenSSL reports), mutual TLS, and hot reload of files, Secret
 * mounts (`..data` symlink swaps) and in-memory sources without a restart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TLSSocket } from 'node:tls';
import {
  handshake,
  recordingLogger,
  startGreetingServer,
  tempDir,
  waitFor,
  weakRsaCertificate,
  type GreetingServer,
} from '../../test/support/tls.js';
import {
  attachHotReload,
  createCertificateAuthority,
  createComponentSelfSigned,
  createHealthCheckClientCertificate,
  createServerTls,
  FileCaBundleSource,
  FileCertificateSource,
  issueCertificate,
  listSupportedCipherSuites,
  loadComponentServerTls,
  MutableCertificateSource,
  resolveTlsSettings,
  StaticCaBundleSource,
  StaticCertificateSource,
  type PemPair,
  type ServerTls,
} from './index.js';

const FAST = { pollIntervalMs: 200, debounceMs: 20 };

function serialOf(pair: PemPair): string {
  return new StaticCertificateSource(pair).current().leaf.serialNumber;
}

async function serve(serverTls: ServerTls): Promise<GreetingServer & { detach: () => void }> {
  const g = await startGreetingServer(serverTls.serverOptions());
  const detach = attachHotReload(g.server, serverTls);
  return { ...g, detach };
}

let ecdsa: PemPair;
let rsa: PemPair;
let ca: PemPair;
let otherCa: PemPair;

before(async () => {
  ecdsa = await createComponentSelfSigned({ component: 'argocd-repo-server', namespace: 'argocd' });
  rsa = await createComponentSelfSigned({
    component: 'argocd-repo-server',
    namespace: 'argocd',
    keyAlgorithm: 'rsa-2048',
  });
  ca = await createCertificateAuthority({ commonName: 'test CA' });
  otherCa = await createCertificateAuthority({ commonName: 'other CA' });
});

describe('TLS versions', () => {
  it('negotiates TLS 1.3 by default', async () => {
    const s = await serve(createServerTls({ source: new StaticCertificateSource(ecdsa) }));
    try {
      const r = await handshake(s.port, { rejectUnauthorized: false });
      assert.equal(r.ok, true, r.error);
      assert.equal(r.protocol, 'TLSv1.3');
    } finally {
      await s.close();
    }
  });

  it('refuses a TLS 1.1 client when the minimum is 1.2', async () => {
    const s = await serve(createServerTls({ source: new StaticCertificateSource(ecdsa) }));
    try {
      // the client lowers its own security level so the refusal comes from the server
      const r = await handshake(s.port, {
        rejectUnauthorized: false,
        minVersion: 'TLSv1.1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      assert.equal(r.ok, false);
      assert.equal(r.errorCode, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    } finally {
      await s.close();
    }
  });

  it('serves a TLS 1.1 client when --tlsminversion 1.0 and a legacy suite are configured', async () => {
    const settings = resolveTlsSettings({
      minVersion: '1.0',
      ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    });
    const s = await serve(
      createServerTls({ source: new StaticCertificateSource(ecdsa), settings }),
    );
    try {
      const r = await handshake(s.port, {
        rejectUnauthorized: false,
        minVersion: 'TLSv1.1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      assert.equal(r.ok, true, r.error);
      assert.equal(r.protocol, 'TLSv1.1');
    } finally {
      await s.close();
    }
  });

  it('refuses TLS 1.3 when the maximum is 1.2', async () => {
    const settings = resolveTlsSettings({ maxVersion: '1.2' });
    const s = await serve(
      createServerTls({ source: new StaticCertificateSource(ecdsa), settings }),
    );
    try {
      const ok = await handshake(s.port, { rejectUnauthorized: false });
      assert.equal(ok.protocol, 'TLSv1.2');
      const r = await handshake(s.port, { rejectUnauthorized: false, minVersion: 'TLSv1.3' });
      assert.equal(r.ok, false);
      assert.equal(r.errorCode, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    } finally {
      await s.close();
    }
  });
});

describe('TLS 1.2 cipher suites', () => {
  it('refuses a TLS 1.2 client that offers only a suite outside the configured list', async () => {
    const s = await serve(createServerTls({ source: new StaticCertificateSource(ecdsa) }));
    try {
      const refused = await handshake(s.port, {
        rejectUnauthorized: false,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      });
      assert.equal(refused.ok, false);
      assert.equal(refused.errorCode, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
      const accepted = await handshake(s.port, {
        rejectUnauthorized: false,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384',
      });
      assert.equal(accepted.ok, true, accepted.error);
    } finally {
      await s.close();
    }
  });

  it('serves Argo CD’s RSA default suite with an RSA certificate and its ECDSA twin with an ECDSA one', async () => {
    for (const [pair, want] of [
      [rsa, 'ECDHE-RSA-AES256-GCM-SHA384'],
      [ecdsa, 'ECDHE-ECDSA-AES256-GCM-SHA384'],
    ] as const) {
      const s = await serve(createServerTls({ source: new StaticCertificateSource(pair) }));
      try {
        const r = await handshake(s.port, { rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
        assert.equal(r.ok, true, r.error);
        assert.equal(r.cipher, want);
      } finally {
        await s.close();
      }
    }
  });

  it('maps every TLS 1.2 IANA name to the suite OpenSSL then negotiates', async () => {
    for (const suite of listSupportedCipherSuites().filter((x) => x.versions.includes('1.2'))) {
      const settings = resolveTlsSettings({ ciphers: suite.name, maxVersion: '1.2' });
      const pair = suite.auth === 'rsa' ? rsa : ecdsa;
      const s = await startGreetingServer(
        createServerTls({ source: new StaticCertificateSource(pair), settings }).serverOptions(),
      );
      try {
        const r = await new Promise<string>((resolve, reject) => {
          void import('node:tls').then(({ connect }) => {
            const sock = connect(
              { host: '127.0.0.1', port: s.port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' },
              () => {
                resolve(sock.getCipher().standardName);
                sock.destroy();
              },
            );
            sock.on('error', reject);
          });
        });
        assert.equal(r, suite.name);
      } finally {
        await s.close();
      }
    }
  });
});

describe('mutual TLS', () => {
  let server: GreetingServer & { detach: () => void };
  let clientOk: PemPair;
  let clientOther: PemPair;
  let serving: PemPair;

  before(async () => {
    serving = await issueCertificate(ca, {
      commonName: 'argocd-repo-server',
      hosts: ['localhost', '127.0.0.1'],
    });
    clientOk = await issueCertificate(ca, {
      commonName: 'argocd-server',
      serverAuth: false,
      clientAuth: true,
    });
    clientOther = await issueCertificate(otherCa, {
      commonName: 'argocd-server',
      serverAuth: false,
      clientAuth: true,
    });
    server = await serve(
      createServerTls({
        source: new StaticCertificateSource(serving),
        clientCa: new StaticCaBundleSource(ca.certPem),
      }),
    );
  });
  after(async () => {
    await server.close();
  });

  it('refuses a client without a certificate (TLS 1.3)', async () => {
    const r = await handshake(server.port, { ca: ca.certPem });
    assert.equal(r.ok, false);
    assert.equal(r.errorCode, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('refuses a client without a certificate (TLS 1.2)', async () => {
    const r = await handshake(server.port, { ca: ca.certPem, maxVersion: 'TLSv1.2' });
    assert.equal(r.ok, false);
    assert.equal(r.errorCode, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const seen = server.clients.length;
    const r = await handshake(server.port, {
      ca: ca.certPem,
      cert: clientOther.certPem,
      key: clientOther.keyPem,
    });
    assert.equal(r.ok, false);
    // the server's unknown-CA alert may race the close under TLS 1.3
    assert.ok(
      ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'CLOSED', 'ECONNRESET'].includes(r.errorCode ?? ''),
      r.errorCode,
    );
    assert.equal(server.clients.length, seen, 'the server accepted no connection');
  });

  it('accepts a client with a certificate from the client CA', async () => {
    const before = server.clients.length;
    const r = await handshake(server.port, {
      ca: ca.certPem,
      cert: clientOk.certPem,
      key: clientOk.keyPem,
    });
    assert.equal(r.ok, true, r.error);
    assert.equal(r.authorized, true);
    assert.deepEqual(server.clients.slice(before), [
      { cn: 'argocd-server', serial: serialOf(clientOk) },
    ]);
  });

  it('trusts the in-memory health-check client certificate besides the file CA', async () => {
    const healthClient = await createHealthCheckClientCertificate('argocd-repo-server');
    const s = await serve(
      createServerTls({
        source: new StaticCertificateSource(serving),
        clientCa: new StaticCaBundleSource(ca.certPem),
        extraClientCaPems: [healthClient.certPem],
      }),
    );
    try {
      assert.equal(
        (
          await handshake(s.port, {
            ca: ca.certPem,
            cert: healthClient.certPem,
            key: healthClient.keyPem,
          })
        ).ok,
        true,
      );
      assert.equal(
        (await handshake(s.port, { ca: ca.certPem, cert: clientOk.certPem, key: clientOk.keyPem }))
          .ok,
        true,
      );
      assert.equal(
        (
          await handshake(s.port, {
            ca: ca.certPem,
            cert: clientOther.certPem,
            key: clientOther.keyPem,
          })
        ).ok,
        false,
      );
    } finally {
      await s.close();
    }
  });
});

describe('hot reload from files', () => {
  it('serves a rotated certificate at the next handshake without a restart', async () => {
    const t = tempDir();
    const log = recordingLogger();
    const first = await createComponentSelfSigned({
      component: 'argocd-repo-server',
      namespace: 'argocd',
    });
    const second = await createComponentSelfSigned({
      component: 'argocd-repo-server',
      namespace: 'argocd',
    });
    writeFileSync(join(t.dir, 'tls.crt'), first.certPem);
    writeFileSync(join(t.dir, 'tls.key'), first.keyPem);
    const source = await FileCertificateSource.open({ dir: t.dir }, { ...FAST, logger: log });
    const serverTls = createServerTls({ source });
    const s = await serve(serverTls);
    try {
      assert.equal(
        (await handshake(s.port, { rejectUnauthorized: false })).serverSerial,
        serialOf(first),
      );
      const changed = waitFor(serverTls, 'change');
      // key first, then certificate: in between the pair does not match and must not be served
      writeFileSync(join(t.dir, 'tls.key'), second.keyPem);
      writeFileSync(join(t.dir, 'tls.crt'), second.certPem);
      await changed;
      const r = await handshake(s.port, { rejectUnauthorized: false });
      assert.equal(r.ok, true, r.error);
      assert.equal(r.serverSerial, serialOf(second));
    } finally {
      await s.close();
      source.close();
      t.cleanup();
    }
  });

  it('follows a Kubernetes Secret mount (..data symlink swap)', async () => {
    const t = tempDir();
    const mount = join(t.dir, 'mount');
    mkdirSync(mount);
    const first = await createComponentSelfSigned({
      component: 'argocd-dex-server',
      namespace: 'argocd',
    });
    const second = await createComponentSelfSigned({
      component: 'argocd-dex-server',
      namespace: 'argocd',
    });
    const writeVersion = (name: string, pair: PemPair): void => {
      const dir = join(mount, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'tls.crt'), pair.certPem);
      writeFileSync(join(dir, 'tls.key'), pair.keyPem);
      // the kubelet's atomic writer: new ..data_tmp link renamed over ..data
      symlinkSync(name, join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    };
    writeVersion('..2026_01_01_00_00_00.1', first);
    symlinkSync('..data/tls.crt', join(mount, 'tls.crt'));
    symlinkSync('..data/tls.key', join(mount, 'tls.key'));
    const source = await FileCertificateSource.open({ dir: mount }, FAST);
    const serverTls = createServerTls({ source });
    const s = await serve(serverTls);
    try {
      assert.equal(
        (await handshake(s.port, { rejectUnauthorized: false })).serverSerial,
        serialOf(first),
      );
      const changed = waitFor(serverTls, 'change');
      writeVersion('..2026_01_02_00_00_00.2', second);
      rmSync(join(mount, '..2026_01_01_00_00_00.1'), { recursive: true });
      await changed;
      assert.equal(
        (await handshake(s.port, { rejectUnauthorized: false })).serverSerial,
        serialOf(second),
      );
    } finally {
      await s.close();
      source.close();
      t.cleanup();
    }
  });

  const broken: {
    name: string;
    write: (dir: string, good: PemPair, other: PemPair) => void | Promise<void>;
  }[] = [
    {
      name: 'a key that does not match',
      write: (dir, _good, other) => {
        writeFileSync(join(dir, 'tls.key'), other.keyPem);
      },
    },
    {
      name: 'a certificate that does not parse',
      write: (dir) => {
        writeFileSync(
          join(dir, 'tls.crt'),
          '-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n',
        );
      },
    },
    {
      name: 'a deleted key',
      write: (dir) => {
        rmSync(join(dir, 'tls.key'));
      },
    },
    {
      name: 'an RSA 1024 pair',
      write: async (dir) => {
        const weak = await weakRsaCertificate();
        writeFileSync(join(dir, 'tls.crt'), weak.certPem);
        writeFileSync(join(dir, 'tls.key'), weak.keyPem);
      },
    },
  ];
  for (const c of broken)
    it(`keeps serving the old certificate after ${c.name}`, async () => {
      const t = tempDir();
      const log = recordingLogger();
      const good = await createComponentSelfSigned({
        component: 'argocd-repo-server',
        namespace: 'argocd',
      });
      const other = await createComponentSelfSigned({
        component: 'argocd-repo-server',
        namespace: 'argocd',
      });
      writeFileSync(join(t.dir, 'tls.crt'), good.certPem);
      writeFileSync(join(t.dir, 'tls.key'), good.keyPem);
      const source = await FileCertificateSource.open({ dir: t.dir }, { ...FAST, logger: log });
      const s = await serve(createServerTls({ source }));
      try {
        const invalid = waitFor(source, 'invalid');
        await c.write(t.dir, good, other);
        await invalid;
        const r = await handshake(s.port, { rejectUnauthorized: false });
        assert.equal(r.ok, true, r.error);
        assert.equal(r.serverSerial, serialOf(good));
        const warnings = log.entries.filter((e) => e.level === 'warn');
        assert.equal(warnings.length, 1, 'logged once, although polling sees it again');
        assert.equal(JSON.stringify(warnings).includes('PRIVATE KEY'), false);
      } finally {
        await s.close();
        source.close();
        t.cleanup();
      }
    });

  it('does not reload when the files are rewritten with the same content', async () => {
    const t = tempDir();
    const pair = await createComponentSelfSigned({
      component: 'argocd-repo-server',
      namespace: 'argocd',
    });
    writeFileSync(join(t.dir, 'tls.crt'), pair.certPem);
    writeFileSync(join(t.dir, 'tls.key'), pair.keyPem);
    const source = await FileCertificateSource.open({ dir: t.dir }, FAST);
    let changes = 0;
    source.on('change', () => changes++);
    try {
      for (let i = 0; i < 3; i++) {
        writeFileSync(join(t.dir, 'tls.crt'), pair.certPem);
        writeFileSync(join(t.dir, 'tls.key'), pair.keyPem);
        await source.reload();
      }
      // and a real change is still seen afterwards
      const next = await createComponentSelfSigned({
        component: 'argocd-repo-server',
        namespace: 'argocd',
      });
      writeFileSync(join(t.dir, 'tls.key'), next.keyPem);
      writeFileSync(join(t.dir, 'tls.crt'), next.certPem);
      await source.reload();
      assert.equal(changes, 1);
    } finally {
      source.close();
      t.cleanup();
    }
  });

  it('serves the self-signed fallback until the secret appears, then the secret, even once deleted', async () => {
    const t = tempDir();
    const dir = join(t.dir, 'tls');
    const log = recordingLogger();
    const serverTls = await loadComponentServerTls({
      component: 'argocd-repo-server',
      namespace: 'argocd',
      files: { dir },
      logger: log,
      ...FAST,
    });
    const s = await serve(serverTls);
    try {
      const before = await handshake(s.port, { rejectUnauthorized: false });
      assert.equal(before.serverCn, 'argocd-repo-server');
      const mounted = await issueCertificate(ca, {
        commonName: 'mounted',
        hosts: ['argocd-repo-server'],
      });
      const changed = waitFor(serverTls, 'change');
      mkdirSync(dir);
      writeFileSync(join(dir, 'tls.key'), mounted.keyPem);
      writeFileSync(join(dir, 'tls.crt'), mounted.certPem);
      writeFileSync(join(dir, 'ca.crt'), ca.certPem);
      await changed;
      assert.equal((await handshake(s.port, { rejectUnauthorized: false })).serverCn, 'mounted');
      assert.equal(serverTls.mutualTls, false);
      // the Secret is deleted: the mounted certificate keeps serving, not the self-signed one
      const invalid = waitFor(serverTls.source, 'invalid');
      rmSync(dir, { recursive: true });
      await invalid;
      assert.equal((await handshake(s.port, { rejectUnauthorized: false })).serverCn, 'mounted');
      assert.ok(log.entries.some((e) => /self-signed/.test(e.msg)));
    } finally {
      await s.close();
      serverTls.close();
      t.cleanup();
    }
  });

  it('refuses to start with a certificate file but no key file', async () => {
    const t = tempDir();
    writeFileSync(join(t.dir, 'tls.crt'), ecdsa.certPem);
    try {
      await assert.rejects(FileCertificateSource.open({ dir: t.dir }), {
        code: 'ERR_TLS_INCOMPLETE_PAIR',
      });
      await assert.rejects(FileCertificateSource.open({ dir: join(t.dir, 'none') }), {
        code: 'ERR_TLS_FILE',
      });
    } finally {
      t.cleanup();
    }
  });

  it('reloads a rotated client CA file: the new CA’s clients get in, the old CA’s do not', async () => {
    const t = tempDir();
    const caPath = join(t.dir, 'client-ca.crt');
    writeFileSync(caPath, ca.certPem);
    const clientCa = await FileCaBundleSource.open(caPath, FAST);
    const serverTls = createServerTls({ source: new StaticCertificateSource(ecdsa), clientCa });
    const s = await serve(serverTls);
    const fromCa = await issueCertificate(ca, {
      commonName: 'c1',
      serverAuth: false,
      clientAuth: true,
    });
    const fromOther = await issueCertificate(otherCa, {
      commonName: 'c2',
      serverAuth: false,
      clientAuth: true,
    });
    try {
      const asClient = (p: PemPair) =>
        handshake(s.port, { rejectUnauthorized: false, cert: p.certPem, key: p.keyPem });
      assert.equal((await asClient(fromCa)).ok, true);
      assert.equal((await asClient(fromOther)).ok, false);
      const changed = waitFor(serverTls, 'change');
      writeFileSync(caPath, otherCa.certPem);
      await changed;
      assert.equal((await asClient(fromOther)).ok, true);
      assert.equal((await asClient(fromCa)).ok, false);
      // a deleted client CA file never turns client certificates off
      rmSync(caPath);
      await clientCa.reload();
      assert.equal((await handshake(s.port, { rejectUnauthorized: false })).ok, false);
    } finally {
      await s.close();
      clientCa.close();
      t.cleanup();
    }
  });

  it('enables mandatory mTLS when the --client-ca-path file exists', async () => {
    const t = tempDir();
    const caPath = join(t.dir, 'client-ca.crt');
    writeFileSync(caPath, ca.certPem);
    const serverTls = await loadComponentServerTls({
      component: 'argocd-repo-server',
      namespace: 'argocd',
      files: { dir: join(t.dir, 'absent') },
      clientCaPath: caPath,
      ...FAST,
    });
    const s = await serve(serverTls);
    try {
      assert.equal(serverTls.mutualTls, true);
      assert.equal((await handshake(s.port, { rejectUnauthorized: false })).ok, false);
    } finally {
      await s.close();
      serverTls.close();
      t.cleanup();
    }
  });
});

describe('hot reload from a MutableCertificateSource', () => {
  it('serves the updated Secret content on an https server by IP (no SNI)', async () => {
    const first = await createComponentSelfSigned({
      component: 'argocd-server',
      namespace: 'argocd',
    });
    const second = await createComponentSelfSigned({
      component: 'argocd-server',
      namespace: 'argocd',
    });
    const source = new MutableCertificateSource(first, 'secret argocd-server-tls');
    const serverTls = createServerTls({ source });
    const server = createHttpsServer(serverTls.serverOptions(), (_req, res) => {
      res.end('ok');
    });
    attachHotReload(server, serverTls);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const get = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false },
          (res) => {
            const sock = res.socket;
            if (!(sock instanceof TLSSocket)) throw new TypeError('not a TLS socket');
            const serial = sock.getPeerCertificate().serialNumber;
            res.resume();
            res.on('end', () => {
              resolve(serial);
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      assert.equal(await get(), serialOf(first));
      source.update(second);
      assert.equal(await get(), serialOf(second));
      assert.throws(() => source.update({ certPem: first.certPem, keyPem: second.keyPem }));
      assert.equal(await get(), serialOf(second));
    } finally {
      server.close();
    }
  });
});
