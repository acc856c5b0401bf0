/**
 * argocd-server serving, against the real kube-apiserver and real TLS on loopback: one port for
 * HTTP/1.1 and HTTP/2 over TLS, plain HTTP redirected, `--insecure` with h1 and h2c, initial
 * setup of argocd-secret, security headers, the CSRF guard, static UI with SPA fallback,
 * `/healthz`, the anonymous `/api/version` shape, certificate hot reload from `argocd-server-tls`,
 * and graceful close.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { connect as h2connect } from 'node:http2';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { ConfigNames, decodeSecretData, type Secret } from '../../src/apis/index.js';
import { createCertificateAuthority, issueCertificate } from '../../src/tls/index.js';
import {
  sendRequest,
  secretObject,
  startTestApiServer,
  type TestApiServer,
} from '../support/api-server.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

function peerCertificate(port: number, ca?: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      { host: '127.0.0.1', port, ...(ca ? { ca } : { rejectUnauthorized: false }) },
      () => {
        const cert = s.getPeerCertificate();
        s.end();
        resolve(cert);
      },
    );
    s.on('error', reject);
  });
}

function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => {
      s.write(text);
    });
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => {
      resolve(out);
    });
    s.on('error', reject);
  });
}

function h2get(
  session: ReturnType<typeof h2connect>,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ...headers });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      resolve({ status, body });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('argocd-server serving (TLS)', () => {
  let srv: TestApiServer;
  let staticDir: string;

  before(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'argocd-ts-ui-'));
    writeFileSync(
      join(staticDir, 'index.html'),
      '<html><head><base href="/"></head><body>the ui</body></html>',
    );
    writeFileSync(join(staticDir, 'main.js'), 'console.log(1)');
    writeFileSync(join(staticDir, '.secret'), 'dotfile');
    srv = await startTestApiServer({
      options: { staticAssetsDir: staticDir, basehref: '/argo/' },
      namePrefix: 'srv-tls',
    });
  });
  after(async () => {
    await srv.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('generates server.secretkey, the admin password and a certificate into argocd-secret', async () => {
    const secret = await srv.kube.get<Secret>({
      ...SECRETS,
      namespace: srv.namespace,
      name: ConfigNames.secret,
    });
    const d = decodeSecretData(secret);
    assert.ok((d['server.secretkey'] ?? '').length >= 32);
    assert.match(d['admin.password'] ?? '', /^\$2[aby]\$10\$/);
    assert.match(d['admin.passwordMtime'] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(d['tls.crt'] ?? '', /BEGIN CERTIFICATE/);
    assert.match(srv.adminPassword, /^[0-9A-Za-z-]{16}$/);
    assert.equal(await bcrypt.compare(srv.adminPassword, d['admin.password'] ?? ''), true);
  });

  it('serves /healthz with the security headers', async () => {
    const res = await srv.request('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
    assert.equal(res.headers['x-frame-options'], 'sameorigin');
    assert.equal(res.headers['content-security-policy'], "frame-ancestors 'self';");
    assert.equal(res.headers['x-xss-protection'], '1');
    assert.equal(res.headers['x-robots-tag'], 'noindex, nofollow');
  });

  it('answers an anonymous /api/version with only the Version field', async () => {
    const res = await srv.request('GET', '/api/version');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json()), ['Version']);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('serves HTTP/2 over TLS on the same port (ALPN h2)', async () => {
    const s = srv.http2();
    const r = await h2get(s, '/api/version');
    assert.equal(r.status, 200);
    assert.ok((JSON.parse(r.body) as { Version?: string }).Version);
    s.close();
  });

  it('redirects plain HTTP on the TLS port to https with 307', async () => {
    const out = await rawHttp(
      srv.port,
      'GET /applications?x=1 HTTP/1.1\r\nHost: argocd.example.com:8080\r\nConnection: close\r\n\r\n',
    );
    assert.match(out, /^HTTP\/1\.1 307/);
    assert.match(out, /\r\nlocation: https:\/\/argocd\.example\.com:8080\/applications\?x=1\r\n/i);
  });

  it('refuses a redirect for a Host header that is not a host name', async () => {
    const out = await rawHttp(
      srv.port,
      'GET / HTTP/1.1\r\nHost: evil.example/<script>\r\nConnection: close\r\n\r\n',
    );
    assert.match(out, /^HTTP\/1\.1 400/);
    assert.doesNotMatch(out, /location:/i);
  });

  it('refuses non-GET API requests whose content type is not application/json (CSRF guard)', async () => {
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await srv.request('POST', '/api/v1/session', {
        rawBody: 'username=admin&password=x',
        contentType,
      });
      assert.equal(res.status, 415, contentType);
      assert.match(res.text, /Invalid content type/);
    }
    const none = await srv.request('DELETE', '/api/v1/session', { contentType: null });
    assert.equal(none.status, 415);
    const events = srv.securityEvents().filter((e) => e.CWE === 352);
    assert.ok(events.length >= 4);
    assert.ok(events.every((e) => e.security === 3));
  });

  it('serves the UI: files, SPA fallback with the base href, no dotfiles or traversal, and 404 JSON for unknown API paths', async () => {
    const js = await srv.request('GET', '/main.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    const spa = await srv.request('GET', '/applications/argocd/guestbook');
    assert.equal(spa.status, 200);
    assert.match(spa.text, /<base href="\/argo\/">/);
    assert.match(spa.text, /the ui/);
    for (const p of ['/.secret', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
      const r = await srv.request('GET', p);
      assert.doesNotMatch(r.text, /dotfile|root:/, p);
    }
    const api = await srv.request('GET', '/api/v1/nothing-here');
    assert.equal(api.status, 404);
    assert.equal(api.json().code, 5);
    const ext = await srv.request('GET', '/extensions.js');
    assert.equal(ext.status, 200);
    assert.equal(ext.text, '');
  });

  it('serves a new argocd-server-tls certificate to new connections without a restart', async () => {
    const before = await peerCertificate(srv.port, srv.caPem);
    const ca = await createCertificateAuthority({ commonName: 'server test CA' });
    const leaf = await issueCertificate(ca, {
      commonName: 'argocd-server',
      hosts: ['127.0.0.1', 'localhost'],
      serverAuth: true,
    });
    // an open connection keeps its certificate
    const open = h2connect(srv.url, { ca: srv.caPem });
    await h2get(open, '/healthz');
    await srv.kube.create(
      { ...SECRETS, namespace: srv.namespace },
      {
        ...secretObject(
          ConfigNames.serverTls,
          { 'tls.crt': leaf.certPem, 'tls.key': leaf.keyPem, 'ca.crt': ca.certPem },
          {},
          'kubernetes.io/tls',
        ),
        metadata: { name: ConfigNames.serverTls, namespace: srv.namespace },
      },
    );
    let after: PeerCertificate | undefined;
    await srv.waitFor(async () => {
      after = await peerCertificate(srv.port);
      return after.serialNumber !== before.serialNumber;
    }, 'the new certificate');
    assert.ok(after);
    // verified against the new CA, by IP
    const verified = await peerCertificate(srv.port, ca.certPem);
    assert.equal(verified.serialNumber, after.serialNumber);
    const still = await h2get(open, '/healthz');
    assert.equal(still.status, 200);
    open.close();
    // a broken pair in argocd-server-tls is passed over: argocd-secret's pair is next in line
    const ref = { ...SECRETS, namespace: srv.namespace, name: ConfigNames.serverTls };
    const live = await srv.kube.get<Secret>(ref);
    await srv.kube.replace(ref, {
      ...live,
      data: { ...live.data, 'tls.key': Buffer.from('not a key').toString('base64') },
    });
    await srv.waitFor(async () => {
      const now = await peerCertificate(srv.port);
      return now.serialNumber === before.serialNumber;
    }, 'the argocd-secret certificate');
    await peerCertificate(srv.port, srv.caPem);
    assert.ok(srv.logs.some((l) => /argocd-server-tls/.test(String(l.msg)) && l.level === 40));
  });
});

describe('argocd-server serving (--insecure)', () => {
  let srv: TestApiServer;
  before(async () => {
    srv = await startTestApiServer({
      options: { insecure: true, rootpath: '/argo', disableAuth: true },
      namePrefix: 'srv-plain',
    });
  });
  after(async () => {
    await srv.close();
  });

  it('serves HTTP/1.1 and h2c on one port and generates no certificate', async () => {
    assert.match(srv.url, /^http:\/\//);
    const res = await sendRequest(srv.url, undefined, 'GET', '/argo/healthz');
    assert.equal(res.status, 200);
    const s = h2connect(srv.url);
    const r = await h2get(s, '/argo/healthz');
    s.close();
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok');
    const secret = await srv.kube.get<Secret>({
      ...SECRETS,
      namespace: srv.namespace,
      name: ConfigNames.secret,
    });
    assert.equal(decodeSecretData(secret)['tls.crt'], undefined);
    assert.ok(srv.securityEvents().some((e) => e.CWE === 319));
  });

  it('serves everything under --rootpath and nothing outside it', async () => {
    assert.equal(
      (await sendRequest(srv.url, undefined, 'GET', '/argo/api/v1/session/userinfo')).status,
      200,
    );
    assert.equal((await sendRequest(srv.url, undefined, 'GET', '/api/version')).status, 404);
    const cookie = await sendRequest(srv.url, undefined, 'POST', '/argo/api/v1/session', {
      body: { username: 'admin', password: srv.adminPassword },
    });
    assert.equal(cookie.status, 200);
    assert.doesNotMatch(cookie.headers['set-cookie']?.[0] ?? '', /Secure/);
  });

  it('lets every caller do everything with --disable-auth, and says so loudly at start', async () => {
    const version = await sendRequest(srv.url, undefined, 'GET', '/argo/api/version');
    assert.ok('KustomizeVersion' in version.json());
    const create = await sendRequest(srv.url, undefined, 'POST', '/argo/api/v1/projects', {
      body: { project: { metadata: { name: 'open' }, spec: {} } },
    });
    assert.equal(create.status, 200, create.text);
    assert.ok(
      srv.securityEvents().some((e) => e.security === 3 && /--disable-auth/.test(String(e.msg))),
    );
  });
});
