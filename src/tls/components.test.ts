import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  componentHosts,
  createComponentSelfSigned,
  SERVING_COMPONENTS,
  validateCertificatePair,
} from './index.js';

const DAY = 86_400_000;

describe('componentHosts', () => {
  for (const component of SERVING_COMPONENTS) {
    it(`lists localhost, 127.0.0.1 and every service name form of ${component}`, () => {
      assert.deepEqual(componentHosts(component, 'argo-cd'), [
        'localhost',
        '127.0.0.1',
        component,
        `${component}.argo-cd`,
        `${component}.argo-cd.svc`,
        `${component}.argo-cd.svc.cluster.local`,
      ]);
    });
  }

  it('rejects a namespace that is not a DNS label', () => {
    assert.throws(() => componentHosts('argocd-server', 'Bad_NS'), TypeError);
    assert.throws(() => componentHosts('argocd-server', 'a.b'), TypeError);
  });
});

describe('createComponentSelfSigned', () => {
  it('creates an ECDSA P-256 certificate for the component SANs, valid 365 days from now', async () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const pair = await createComponentSelfSigned({
      component: 'argocd-repo-server',
      namespace: 'argocd',
      now,
    });
    const cert = new X509Certificate(pair.certPem);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(
      cert.subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, DNS:argocd-repo-server, DNS:argocd-repo-server.argocd, DNS:argocd-repo-server.argocd.svc, DNS:argocd-repo-server.argocd.svc.cluster.local',
    );
    assert.equal(new Date(cert.validTo).getTime() - now.getTime(), 365 * DAY);
    assert.ok(new Date(cert.validFrom).getTime() <= now.getTime());
    assert.match(cert.subject, /O=Argo CD/);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth only
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey), 'self-signed: verifies with its own key');
    assert.ok(cert.checkIP('127.0.0.1'));
    assert.equal(cert.checkHost('argocd-repo-server.argocd.svc'), 'argocd-repo-server.argocd.svc');
    assert.equal(cert.checkHost('argocd-server.argocd.svc'), undefined);
  });

  it('creates an RSA 2048 certificate on request', async () => {
    const pair = await createComponentSelfSigned({
      component: 'argocd-server',
      namespace: 'argocd',
      keyAlgorithm: 'rsa-2048',
    });
    const loaded = validateCertificatePair(pair);
    assert.equal(loaded.leaf.keyType, 'rsa');
    assert.equal(loaded.leaf.keyBits, 2048);
  });

  it('uses a fresh key and a random 128-bit serial every time', async () => {
    const a = await createComponentSelfSigned({ component: 'argocd-dex-server', namespace: 'x' });
    const b = await createComponentSelfSigned({ component: 'argocd-dex-server', namespace: 'x' });
    const ca = new X509Certificate(a.certPem);
    const cb = new X509Certificate(b.certPem);
    assert.notEqual(ca.serialNumber, cb.serialNumber);
    assert.ok(ca.serialNumber.length >= 30, `serial ${ca.serialNumber} has ~128 bits`);
    assert.notEqual(a.keyPem, b.keyPem);
  });

  it('adds extra hosts after the component names', async () => {
    const pair = await createComponentSelfSigned({
      component: 'argocd-server',
      namespace: 'argocd',
      extraHosts: ['argocd.example.com', '10.0.0.1'],
    });
    const cert = new X509Certificate(pair.certPem);
    assert.equal(cert.checkHost('argocd.example.com'), 'argocd.example.com');
    assert.ok(cert.checkIP('10.0.0.1'));
  });
});
