import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { encodeSecretData } from '../apis/index.js';
import { createComponentSelfSigned, selectServerCertificate, type PemPair } from './index.js';

let a: PemPair;
let b: PemPair;
before(async () => {
  a = await createComponentSelfSigned({ component: 'argocd-server', namespace: 'argocd' });
  b = await createComponentSelfSigned({ component: 'argocd-server', namespace: 'argocd' });
});

const secret = (values: Record<string, string>) => ({ data: encodeSecretData(values) });

describe('selectServerCertificate', () => {
  it('prefers a valid pair in argocd-server-tls', () => {
    const choice = selectServerCertificate({
      serverTlsSecret: secret({ 'tls.crt': a.certPem, 'tls.key': a.keyPem }),
      argocdSecret: secret({ 'tls.crt': b.certPem, 'tls.key': b.keyPem, 'server.secretkey': 'x' }),
    });
    if (choice.origin !== 'argocd-server-tls') assert.fail(choice.origin);
    assert.equal(choice.certificate.certPem, a.certPem);
  });

  it('falls back to argocd-secret when argocd-server-tls is absent, empty or broken, saying why', () => {
    for (const serverTlsSecret of [
      undefined,
      secret({}),
      secret({ 'tls.crt': a.certPem, 'tls.key': b.keyPem }),
      secret({ 'tls.crt': a.certPem }),
    ]) {
      const choice = selectServerCertificate({
        serverTlsSecret,
        argocdSecret: secret({ 'tls.crt': b.certPem, 'tls.key': b.keyPem }),
      });
      assert.equal(choice.origin, 'argocd-secret');
      if (serverTlsSecret?.data['tls.crt']) assert.equal(choice.problems.length, 1);
      assert.equal(JSON.stringify(choice.problems).includes('PRIVATE KEY'), false);
    }
  });

  it('reports none when neither Secret has a usable pair (generate and persist)', () => {
    const choice = selectServerCertificate({
      serverTlsSecret: { stringData: { 'tls.crt': 'garbage', 'tls.key': 'garbage' } },
      argocdSecret: secret({ 'admin.password': 'x' }),
    });
    assert.equal(choice.origin, 'none');
    assert.match(choice.problems[0] ?? '', /argocd-server-tls/);
  });
});
