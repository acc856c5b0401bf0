/**
 * Client-side TLS over real loopback connections: every mode (plaintext, Argo CD's non-validating
 * default, strict, explicit CA, internal CA), refusal of the wrong CA and the wrong component's
 * certificate, mutual TLS end to end with the internal PKI, and a client certificate rotated under
 * a running client.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  handshake,
  recordingLogger,
  startGreetingServer,
  tempDir,
  waitFor,
  type GreetingServer,
} from '../../test/support/tls.js';
import {
  attachHotReload,
  ClientTlsSource,
  createCertificateAuthority,
  createComponentSelfSigned,
  createServerTls,
  EXPIRY_METRIC_NAME,
  initInternalPki,
  observeCertificateExpiry,
  issueCertificate,
  loadComponentServerTls,
  PkiSecretNames,
  resolveClientTls,
  StaticCertificateSource,
  writePkiFiles,
  type ClientTlsOptions,
  type InternalPki,
  type PemPair,
} from './index.js';

const FAST = { pollIntervalMs: 200, debounceMs: 20 };
// keep tests hermetic: never look at /app/config on the test machine
const HERMETIC = { defaultClientCert: null, internalTlsDir: null } as const;

async function connectWith(port: number, source: ClientTlsSource) {
  const opts = source.connectionOptions();
  assert.ok(opts, 'a TLS mode');
  return handshake(port, opts);
}

describe('client modes', () => {
  let t: ReturnType<typeof tempDir>;
  let ca: PemPair;
  let otherCa: PemPair;
  let server: GreetingServer;
  let selfSigned: GreetingServer;
  let selfSignedPair: PemPair;

  before(async () => {
    t = tempDir();
    ca = await createCertificateAuthority({ commonName: 'repo CA' });
    otherCa = await createCertificateAuthority({ commonName: 'other CA' });
    const serving = await issueCertificate(ca, {
      commonName: 'argocd-repo-server',
      hosts: ['argocd-repo-server', '127.0.0.1'],
    });
    selfSignedPair = await createComponentSelfSigned({
      component: 'argocd-repo-server',
      namespace: 'argocd',
    });
    server = await startGreetingServer(
      createServerTls({ source: new StaticCertificateSource(serving) }).serverOptions(),
    );
    selfSigned = await startGreetingServer(
      createServerTls({ source: new StaticCertificateSource(selfSignedPair) }).serverOptions(),
    );
    writeFileSync(join(t.dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(t.dir, 'other-ca.pem'), otherCa.certPem);
    // argocd-server's mount of argocd-repo-server-tls for strict mode: the server's tls.crt + ca.crt
    mkdirSync(join(t.dir, 'strict'));
    writeFileSync(join(t.dir, 'strict', 'tls.crt'), serving.certPem);
    writeFileSync(join(t.dir, 'strict', 'ca.crt'), ca.certPem);
    mkdirSync(join(t.dir, 'strict-self'));
    writeFileSync(join(t.dir, 'strict-self', 'tls.crt'), selfSignedPair.certPem);
  });
  after(async () => {
    await server.close();
    await selfSigned.close();
    t.cleanup();
  });

  it('connects in plaintext to a plaintext server', async () => {
    const plain = createNetServer((s) => s.end('hello'));
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    const { port } = plain.address() as AddressInfo;
    const source = await ClientTlsSource.open({
      link: 'repo-server',
      plaintext: true,
      ...HERMETIC,
    });
    try {
      assert.equal(source.mode, 'plaintext');
      assert.equal(source.connectionOptions(), undefined);
      const sock = netConnect({ host: '127.0.0.1', port });
      const [data] = (await once(sock, 'data')) as [Buffer];
      assert.equal(data.toString(), 'hello');
      sock.destroy();
    } finally {
      source.close();
      plain.close();
    }
  });

  it('accepts a self-signed server without verification by default (Argo CD’s default) and warns', async () => {
    const log = recordingLogger();
    const source = await ClientTlsSource.open(
      { link: 'repo-server', ...HERMETIC },
      { logger: log },
    );
    try {
      assert.equal(source.mode, 'insecure');
      const r = await connectWith(selfSigned.port, source);
      assert.equal(r.ok, true, r.error);
      assert.equal(r.authorized, false);
      assert.ok(log.entries.some((e) => e.level === 'warn' && /not verified/.test(e.msg)));
    } finally {
      source.close();
    }
  });

  const verifying: {
    name: string;
    options: () => ClientTlsOptions;
    target: () => GreetingServer;
    ok: boolean;
  }[] = [
    {
      name: 'strict mode accepts the server of the mounted secret’s CA',
      options: () => ({
        link: 'repo-server',
        strictTls: true,
        strictTlsDir: join(t.dir, 'strict'),
        serverName: 'argocd-repo-server',
      }),
      target: () => server,
      ok: true,
    },
    {
      name: 'strict mode accepts a self-signed server whose tls.crt is mounted',
      options: () => ({
        link: 'repo-server',
        strictTls: true,
        strictTlsDir: join(t.dir, 'strict-self'),
        serverName: 'argocd-repo-server',
      }),
      target: () => selfSigned,
      ok: true,
    },
    {
      name: 'strict mode refuses a server with a certificate from another CA',
      options: () => ({
        link: 'repo-server',
        strictTls: true,
        strictTlsDir: join(t.dir, 'strict'),
        serverName: 'argocd-repo-server',
      }),
      target: () => selfSigned,
      ok: false,
    },
    {
      name: 'an explicit CA accepts the server it issued',
      options: () => ({
        link: 'repo-server',
        caCertPath: join(t.dir, 'ca.pem'),
        serverName: 'argocd-repo-server',
      }),
      target: () => server,
      ok: true,
    },
    {
      name: 'an explicit CA refuses a server from another CA',
      options: () => ({
        link: 'repo-server',
        caCertPath: join(t.dir, 'other-ca.pem'),
        serverName: 'argocd-repo-server',
      }),
      target: () => server,
      ok: false,
    },
    {
      name: 'an explicit CA refuses a self-signed server',
      options: () => ({ link: 'repo-server', caCertPath: join(t.dir, 'ca.pem') }),
      target: () => selfSigned,
      ok: false,
    },
    {
      name: 'an explicit CA verifies IP SANs when connecting by IP',
      options: () => ({
        link: 'repo-server',
        caCertPath: join(t.dir, 'ca.pem'),
        serverName: '127.0.0.1',
      }),
      target: () => server,
      ok: true,
    },
    {
      name: 'an explicit CA refuses a certificate for another host name',
      options: () => ({
        link: 'repo-server',
        caCertPath: join(t.dir, 'ca.pem'),
        serverName: 'argocd-dex-server',
      }),
      target: () => server,
      ok: false,
    },
  ];
  for (const c of verifying)
    it(c.name, async () => {
      const source = await ClientTlsSource.open({ ...HERMETIC, ...c.options() });
      try {
        const r = await connectWith(c.target().port, source);
        assert.equal(r.ok, c.ok, r.error);
        if (!c.ok)
          assert.ok(
            [
              'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
              'DEPTH_ZERO_SELF_SIGNED_CERT',
              'ERR_TLS_CERT_ALTNAME_INVALID',
              'SELF_SIGNED_CERT_IN_CHAIN',
            ].includes(r.errorCode ?? ''),
            r.errorCode,
          );
      } finally {
        source.close();
      }
    });

  it('resolves the same configuration once, without watching', () => {
    const cfg = resolveClientTls({
      link: 'repo-server',
      caCertPath: join(t.dir, 'ca.pem'),
      ...HERMETIC,
    });
    if (cfg.mode !== 'ca-cert') assert.fail(`mode ${cfg.mode}`);
    assert.equal(cfg.rejectUnauthorized, true);
    assert.equal(cfg.ca, ca.certPem);
  });
});

describe('internal PKI end to end', () => {
  let t: ReturnType<typeof tempDir>;
  let pki: InternalPki;
  let repo: GreetingServer;
  let closeRepo: () => void;
  let dex: GreetingServer;

  const secretDir = (name: string): string => join(t.dir, name);

  before(async () => {
    t = tempDir();
    pki = await initInternalPki({ namespace: 'argocd' });
    await writePkiFiles(pki, t.dir);
    // argocd-repo-server as it starts in a cluster where the PKI is installed: its secret and the
    // client CA are mounted, no TLS flag is given
    const repoTls = await loadComponentServerTls({
      component: 'argocd-repo-server',
      namespace: 'argocd',
      files: { dir: secretDir(PkiSecretNames.repoServerTls) },
      clientCaPath: join(secretDir(PkiSecretNames.repoServerMtls), 'client-ca.crt'),
      ...FAST,
    });
    repo = await startGreetingServer(repoTls.serverOptions());
    const detach = attachHotReload(repo.server, repoTls);
    closeRepo = () => {
      detach();
      repoTls.close();
    };
    // a server presenting Dex's certificate (the wrong component for the repo-server link)
    const dexTls = await loadComponentServerTls({
      component: 'argocd-dex-server',
      namespace: 'argocd',
      files: { dir: secretDir(PkiSecretNames.dexServerTls) },
      clientCaPath: join(secretDir(PkiSecretNames.dexServerMtls), 'client-ca.crt'),
      ...FAST,
    });
    dex = await startGreetingServer(dexTls.serverOptions());
    dexTls.close();
  });
  after(async () => {
    closeRepo();
    await repo.close();
    await dex.close();
    t.cleanup();
  });

  for (const [component, secret] of [
    ['argocd-server', PkiSecretNames.serverClient],
    ['argocd-application-controller', PkiSecretNames.controllerClient],
  ] as const)
    it(`${component} verifies the repo server and presents its client certificate, with no flags`, async () => {
      const source = await ClientTlsSource.open(
        {
          link: 'repo-server',
          serverName: 'argocd-repo-server.argocd.svc',
          defaultClientCert: null,
          internalTlsDir: secretDir(secret),
        },
        FAST,
      );
      try {
        assert.equal(source.mode, 'internal-ca');
        const cfg = source.current();
        assert.ok(cfg.mode !== 'plaintext' && cfg.clientCertificate?.origin === 'internal');
        const seen = repo.clients.length;
        const r = await connectWith(repo.port, source);
        assert.equal(r.ok, true, r.error);
        assert.equal(r.authorized, true);
        assert.equal(r.serverCn, 'argocd-repo-server');
        assert.equal(repo.clients[seen]?.cn, component);
      } finally {
        source.close();
      }
    });

  it('refuses a server that presents another component’s certificate (SAN mismatch)', async () => {
    const source = await ClientTlsSource.open({
      link: 'repo-server',
      serverName: 'argocd-repo-server.argocd.svc',
      defaultClientCert: null,
      internalTlsDir: secretDir(PkiSecretNames.serverClient),
    });
    try {
      const r = await connectWith(dex.port, source);
      assert.equal(r.ok, false);
      assert.equal(r.errorCode, 'ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      source.close();
    }
  });

  it('is refused by the repo server without a client certificate', async () => {
    const r = await handshake(repo.port, {
      ca: pki.ca.certPem,
      servername: 'argocd-repo-server',
    });
    assert.equal(r.ok, false);
    assert.equal(r.errorCode, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('is refused by the repo server with a client certificate of another CA', async () => {
    const other = await initInternalPki({ namespace: 'argocd' });
    const client = other.clients['argocd-server'];
    const r = await handshake(repo.port, {
      ca: pki.ca.certPem,
      servername: 'argocd-repo-server',
      cert: client.certPem,
      key: client.keyPem,
    });
    assert.equal(r.ok, false);
  });

  it('lets flags override the internal CA: an explicit CA from elsewhere refuses the repo server', async () => {
    const foreign = await createCertificateAuthority({ commonName: 'foreign' });
    writeFileSync(join(t.dir, 'foreign.pem'), foreign.certPem);
    const source = await ClientTlsSource.open({
      link: 'repo-server',
      serverName: 'argocd-repo-server',
      caCertPath: join(t.dir, 'foreign.pem'),
      defaultClientCert: null,
      internalTlsDir: secretDir(PkiSecretNames.serverClient),
    });
    try {
      assert.equal(source.mode, 'ca-cert');
      const r = await connectWith(repo.port, source);
      assert.equal(r.ok, false);
      // the mTLS server's client CA store completes its chain, so the CA may be sent along
      assert.ok(
        ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN'].includes(
          r.errorCode ?? '',
        ),
        r.errorCode,
      );
    } finally {
      source.close();
    }
  });

  it('presents a rotated client certificate on the next connection without a restart', async () => {
    const dir = join(t.dir, 'rotating-client');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ca.crt'), pki.ca.certPem);
    writeFileSync(join(dir, 'tls.crt'), pki.clients['argocd-server'].certPem);
    writeFileSync(join(dir, 'tls.key'), pki.clients['argocd-server'].keyPem);
    const log = recordingLogger();
    const source = await ClientTlsSource.open(
      {
        link: 'repo-server',
        serverName: 'argocd-repo-server',
        defaultClientCert: null,
        internalTlsDir: dir,
      },
      { ...FAST, logger: log },
    );
    const registry = new Registry();
    const expiry = observeCertificateExpiry({
      registry,
      component: 'argocd-server',
      checkIntervalMs: 0,
    });
    expiry.observeClient('repo-server', source);
    const clientExpiry = async (): Promise<string> =>
      (await registry.getSingleMetricAsString(EXPIRY_METRIC_NAME))
        .split('\n')
        .find((l) => l.includes('role="repo-server-client"')) ?? '';
    try {
      const first = await connectWith(repo.port, source);
      assert.equal(first.ok, true, first.error);
      const before = await clientExpiry();
      assert.match(before, / \d+$/);
      // renewed a second later, so the new certificate's notAfter differs
      await new Promise((r) => setTimeout(r, 1100));
      const renewed = await initInternalPki({ namespace: 'argocd', ca: pki.ca });
      const next = renewed.clients['argocd-server'];
      const nextSerial = new StaticCertificateSource(next).current().leaf.serialNumber;
      // a half-written rotation (new key, old certificate) is refused and the old pair stays
      const invalid = waitFor(source, 'invalid');
      writeFileSync(join(dir, 'tls.key'), next.keyPem);
      await invalid;
      assert.equal((await connectWith(repo.port, source)).ok, true);
      const changed = waitFor(source, 'change');
      writeFileSync(join(dir, 'tls.crt'), next.certPem);
      await changed;
      const seen = repo.clients.length;
      const r = await connectWith(repo.port, source);
      assert.equal(r.ok, true, r.error);
      assert.equal(repo.clients[seen]?.serial, nextSerial);
      assert.notEqual(await clientExpiry(), before, 'the expiry metric follows the rotation');
    } finally {
      expiry.close();
      source.close();
    }
  });
});
