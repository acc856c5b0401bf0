import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { decodeSecretData } from '../apis/index.js';
import { tempDir } from '../../test/support/tls.js';
import {
  componentHosts,
  initInternalPki,
  isTlsError,
  pkiToSecrets,
  PkiSecretNames,
  SERVING_COMPONENTS,
  CLIENT_COMPONENTS,
  validateCertificatePair,
  writePkiFiles,
  type InternalPki,
} from './index.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');

let pki: InternalPki;
before(async () => {
  pki = await initInternalPki({ namespace: 'argo-cd', now: NOW, validityDays: 90 });
});

describe('initInternalPki', () => {
  it('creates a CA valid for ten years', () => {
    const ca = new X509Certificate(pki.ca.certPem);
    assert.equal(ca.ca, true);
    assert.equal(new Date(ca.validTo).getTime() - NOW.getTime(), 3650 * DAY);
    assert.ok(ca.verify(ca.publicKey));
  });

  for (const component of SERVING_COMPONENTS)
    it(`issues ${component} a serving certificate with its SANs, signed by the CA`, () => {
      const ca = new X509Certificate(pki.ca.certPem);
      const cert = new X509Certificate(pki.serving[component].certPem);
      assert.ok(cert.verify(ca.publicKey));
      assert.ok(cert.checkIssued(ca));
      assert.deepEqual(cert.keyUsage, [SERVER_AUTH]);
      const loaded = validateCertificatePair(pki.serving[component]);
      assert.deepEqual(
        [...loaded.leaf.dnsNames, ...loaded.leaf.ipAddresses].sort(),
        componentHosts(component, 'argo-cd').sort(),
      );
      assert.equal(new Date(cert.validTo).getTime() - NOW.getTime(), 90 * DAY);
    });

  for (const component of CLIENT_COMPONENTS)
    it(`issues ${component} a client certificate (clientAuth only, CN = component)`, () => {
      const ca = new X509Certificate(pki.ca.certPem);
      const cert = new X509Certificate(pki.clients[component].certPem);
      assert.ok(cert.verify(ca.publicKey));
      assert.deepEqual(cert.keyUsage, [CLIENT_AUTH]);
      assert.match(cert.subject, new RegExp(`CN=${component}`));
      assert.equal(cert.subjectAltName, undefined);
    });

  it('renews the leaves under an existing CA', async () => {
    const renewed = await initInternalPki({ namespace: 'argo-cd', ca: pki.ca });
    assert.equal(renewed.ca.certPem, pki.ca.certPem);
    const ca = new X509Certificate(pki.ca.certPem);
    const leaf = new X509Certificate(renewed.serving['argocd-repo-server'].certPem);
    assert.ok(leaf.verify(ca.publicKey));
    assert.notEqual(
      renewed.serving['argocd-repo-server'].keyPem,
      pki.serving['argocd-repo-server'].keyPem,
    );
  });

  it('uses RSA 2048 on request', async () => {
    const rsa = await initInternalPki({ namespace: 'argocd', keyAlgorithm: 'rsa-2048' });
    assert.equal(validateCertificatePair(rsa.clients['argocd-server']).leaf.keyBits, 2048);
    assert.equal(validateCertificatePair(rsa.ca).leaf.keyType, 'rsa');
  });

  it('refuses a validity out of range', async () => {
    await assert.rejects(
      initInternalPki({ namespace: 'argocd', validityDays: 0 }),
      (err: unknown) => isTlsError(err, 'ERR_TLS_INVALID_OPTION'),
    );
  });

  it('says what each component mounts', () => {
    const repo = pki.mounts.filter((m) => m.component === 'argocd-repo-server');
    assert.deepEqual(
      repo.map((m) => [m.secretName, m.mountPath]),
      [
        ['argocd-repo-server-tls', '/app/config/reposerver/tls'],
        ['argocd-repo-server-mtls', '/app/config/reposerver/mtls'],
      ],
    );
    const controller = pki.mounts.filter((m) => m.component === 'argocd-application-controller');
    assert.deepEqual(
      controller.map((m) => m.mountPath),
      ['/app/config/internal-tls'],
    );
  });
});

describe('pkiToSecrets', () => {
  it('lays the PKI out as Secrets with the documented names, types and keys', () => {
    const secrets = pkiToSecrets(pki);
    const byName = new Map(secrets.map((s) => [s.metadata.name, s]));
    assert.deepEqual(
      [...byName.keys()],
      [
        'argocd-internal-ca',
        'argocd-server-tls',
        'argocd-repo-server-tls',
        'argocd-dex-server-tls',
        'argocd-repo-server-mtls',
        'argocd-dex-server-mtls',
        'argocd-server-internal-tls',
        'argocd-application-controller-internal-tls',
      ],
    );
    for (const s of secrets) {
      assert.equal(s.metadata.namespace, 'argo-cd');
      assert.equal(s.metadata.labels?.['app.kubernetes.io/part-of'], 'argocd');
    }
    const repo = decodeSecretData(byName.get(PkiSecretNames.repoServerTls) ?? {});
    assert.equal(byName.get(PkiSecretNames.repoServerTls)?.type, 'kubernetes.io/tls');
    assert.deepEqual(repo, {
      'tls.crt': pki.serving['argocd-repo-server'].certPem,
      'tls.key': pki.serving['argocd-repo-server'].keyPem,
      'ca.crt': pki.ca.certPem,
    });
    assert.deepEqual(decodeSecretData(byName.get(PkiSecretNames.repoServerMtls) ?? {}), {
      'client-ca.crt': pki.ca.certPem,
    });
    const controller = decodeSecretData(byName.get(PkiSecretNames.controllerClient) ?? {});
    assert.equal(controller['tls.crt'], pki.clients['argocd-application-controller'].certPem);
  });

  it('leaves the CA key out on request and targets another namespace', () => {
    const secrets = pkiToSecrets(pki, 'other', { includeCaKey: false });
    assert.equal(
      secrets.some((s) => s.metadata.name === PkiSecretNames.ca),
      false,
    );
    assert.equal(
      JSON.stringify(secrets).includes(Buffer.from(pki.ca.keyPem).toString('base64')),
      false,
    );
    assert.ok(secrets.every((s) => s.metadata.namespace === 'other'));
  });
});

describe('writePkiFiles', () => {
  it('writes the Secret layout with 0600 keys, 0644 certificates and 0700 directories', async () => {
    const t = tempDir();
    try {
      const paths = await writePkiFiles(pki, t.dir);
      assert.equal(paths.length, 3 * 6 + 2);
      const key = join(t.dir, PkiSecretNames.serverClient, 'tls.key');
      assert.equal(readFileSync(key, 'utf8'), pki.clients['argocd-server'].keyPem);
      for (const p of paths) {
        const mode = statSync(p).mode & 0o777;
        assert.equal(mode, p.endsWith('.key') ? 0o600 : 0o644, p);
      }
      assert.equal(statSync(join(t.dir, PkiSecretNames.repoServerTls)).mode & 0o777, 0o700);
    } finally {
      t.cleanup();
    }
  });

  it('refuses to overwrite unless asked, and then fixes the key modes', async () => {
    const t = tempDir();
    try {
      await writePkiFiles(pki, t.dir);
      await assert.rejects(writePkiFiles(pki, t.dir), (err: unknown) =>
        isTlsError(err, 'ERR_TLS_FILE'),
      );
      const key = join(t.dir, PkiSecretNames.ca, 'tls.key');
      chmodSync(key, 0o644);
      const renewed = await initInternalPki({ namespace: 'argo-cd', ca: pki.ca });
      await writePkiFiles(renewed, t.dir, { overwrite: true });
      assert.equal(statSync(key).mode & 0o777, 0o600);
      assert.equal(
        readFileSync(join(t.dir, PkiSecretNames.repoServerTls, 'tls.crt'), 'utf8'),
        renewed.serving['argocd-repo-server'].certPem,
      );
    } finally {
      t.cleanup();
    }
  });
});
