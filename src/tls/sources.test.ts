import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { recordingLogger, weakRsaCertificate } from '../../test/support/tls.js';
import {
  createCertificateAuthority,
  createComponentSelfSigned,
  isTlsError,
  issueCertificate,
  MutableCertificateSource,
  StaticCaBundleSource,
  StaticCertificateSource,
  validateCaBundle,
  validateCertificatePair,
  type LoadedCertificate,
  type PemPair,
  type TlsErrorCode,
} from './index.js';

let a: PemPair;
let b: PemPair;
let weak: PemPair;
let rsa: PemPair;

before(async () => {
  a = await createComponentSelfSigned({ component: 'argocd-server', namespace: 'argocd' });
  b = await createComponentSelfSigned({ component: 'argocd-server', namespace: 'argocd' });
  rsa = await createComponentSelfSigned({
    component: 'argocd-server',
    namespace: 'argocd',
    keyAlgorithm: 'rsa-2048',
  });
  weak = await weakRsaCertificate();
});

function refusedWith(code: TlsErrorCode) {
  return (err: unknown): boolean => {
    assert.ok(isTlsError(err, code), `expected ${code}, got ${String(err)}`);
    assert.equal(err.message.includes('PRIVATE KEY'), false, 'no key material in messages');
    assert.equal(err.message.includes('MII'), false, 'no base64 material in messages');
    return true;
  };
}

describe('validateCertificatePair', () => {
  it('accepts ECDSA P-256 and RSA 2048 pairs and describes them', () => {
    const ec = validateCertificatePair(a, 'test pair');
    assert.equal(ec.leaf.keyType, 'ec');
    assert.equal(ec.leaf.curve, 'prime256v1');
    assert.deepEqual(ec.leaf.ipAddresses, ['127.0.0.1']);
    assert.ok(ec.leaf.dnsNames.includes('argocd-server.argocd.svc'));
    assert.match(ec.fingerprint, /^[0-9a-f]{64}$/);
    const r = validateCertificatePair(rsa);
    assert.equal(r.leaf.keyBits, 2048);
  });

  const cases: { name: string; pair: () => PemPair; code: TlsErrorCode }[] = [
    {
      name: 'a key from another pair',
      pair: () => ({ certPem: a.certPem, keyPem: b.keyPem }),
      code: 'ERR_TLS_KEY_MISMATCH',
    },
    { name: 'an RSA key under 2048 bits', pair: () => weak, code: 'ERR_TLS_WEAK_KEY' },
    {
      name: 'a certificate that is not PEM',
      pair: () => ({ certPem: 'hello', keyPem: a.keyPem }),
      code: 'ERR_TLS_INVALID_CERTIFICATE',
    },
    {
      name: 'a corrupted certificate',
      pair: () => ({
        certPem: a.certPem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'),
        keyPem: a.keyPem,
      }),
      code: 'ERR_TLS_INVALID_CERTIFICATE',
    },
    {
      name: 'a key that is not a key',
      pair: () => ({
        certPem: a.certPem,
        keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      }),
      code: 'ERR_TLS_INVALID_KEY',
    },
    {
      name: 'a CA bundle that does not parse',
      pair: () => ({ ...a, caPem: 'not a certificate' }),
      code: 'ERR_TLS_INVALID_CERTIFICATE',
    },
    {
      name: 'a CA bundle with a weak key',
      pair: () => ({ ...a, caPem: weak.certPem }),
      code: 'ERR_TLS_WEAK_KEY',
    },
  ];
  for (const c of cases)
    it(`refuses ${c.name}`, () => {
      assert.throws(() => validateCertificatePair(c.pair(), 'test pair'), refusedWith(c.code));
    });

  it('fingerprints the content: same content, same fingerprint; any change, another one', () => {
    assert.equal(
      validateCertificatePair(a).fingerprint,
      validateCertificatePair({ ...a }).fingerprint,
    );
    assert.notEqual(validateCertificatePair(a).fingerprint, validateCertificatePair(b).fingerprint);
    const ca = validateCertificatePair({ ...a, caPem: b.certPem });
    assert.notEqual(ca.fingerprint, validateCertificatePair(a).fingerprint);
    assert.equal(ca.ca.length, 1);
  });
});

describe('validateCaBundle', () => {
  it('parses every certificate of a bundle', async () => {
    const ca1 = await createCertificateAuthority({ commonName: 'one' });
    const ca2 = await createCertificateAuthority({ commonName: 'two' });
    const bundle = validateCaBundle(ca1.certPem + ca2.certPem);
    assert.deepEqual(
      bundle.certificates.map((c) => c.subject),
      ['CN=one', 'CN=two'],
    );
    assert.ok(bundle.certificates.every((c) => c.isCa));
  });

  it('refuses an RSA CA under 2048 bits', () => {
    assert.throws(() => validateCaBundle(weak.certPem), refusedWith('ERR_TLS_WEAK_KEY'));
    assert.throws(() => new StaticCaBundleSource(weak.certPem), refusedWith('ERR_TLS_WEAK_KEY'));
  });
});

describe('StaticCertificateSource', () => {
  it('serves the pair it was given', () => {
    const s = new StaticCertificateSource(a);
    assert.equal(s.current().certPem, a.certPem);
    assert.equal(s.fingerprint, validateCertificatePair(a).fingerprint);
  });

  it('refuses an RSA key under 2048 bits', () => {
    assert.throws(() => new StaticCertificateSource(weak), refusedWith('ERR_TLS_WEAK_KEY'));
  });
});

describe('MutableCertificateSource', () => {
  it('replaces the pair and emits change when the content differs', () => {
    const log = recordingLogger();
    const s = new MutableCertificateSource(a, 'secret argocd-server-tls', log);
    const changes: [LoadedCertificate, LoadedCertificate][] = [];
    s.on('change', (next, prev) => changes.push([next, prev]));
    assert.equal(s.update(b), true);
    assert.equal(s.current().certPem, b.certPem);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.[1].certPem, a.certPem);
    assert.ok(log.entries.some((e) => e.level === 'info' && /certificate changed/.test(e.msg)));
  });

  it('does nothing when the same content arrives again', () => {
    const s = new MutableCertificateSource(a);
    let changes = 0;
    s.on('change', () => changes++);
    assert.equal(s.update({ certPem: a.certPem, keyPem: a.keyPem }), false);
    assert.equal(changes, 0);
  });

  const refused: { name: string; pair: () => PemPair; code: TlsErrorCode }[] = [
    {
      name: 'a mismatched pair',
      pair: () => ({ certPem: b.certPem, keyPem: a.keyPem }),
      code: 'ERR_TLS_KEY_MISMATCH',
    },
    { name: 'a weak key', pair: () => weak, code: 'ERR_TLS_WEAK_KEY' },
    {
      name: 'garbage',
      pair: () => ({ certPem: 'x', keyPem: 'y' }),
      code: 'ERR_TLS_INVALID_CERTIFICATE',
    },
  ];
  for (const c of refused)
    it(`keeps the old pair, logs once and emits invalid for ${c.name}`, () => {
      const log = recordingLogger();
      const s = new MutableCertificateSource(a, 'secret argocd-server-tls', log);
      const invalid: unknown[] = [];
      let changes = 0;
      s.on('invalid', (e) => invalid.push(e));
      s.on('change', () => changes++);
      assert.throws(() => s.update(c.pair()), refusedWith(c.code));
      assert.throws(() => s.update(c.pair()), refusedWith(c.code));
      assert.equal(s.current().certPem, a.certPem);
      assert.equal(changes, 0);
      assert.equal(invalid.length, 2);
      assert.equal(
        log.entries.filter((e) => e.level === 'warn').length,
        1,
        'logged once per content',
      );
    });

  it('accepts a leaf issued by a CA together with its ca.crt', async () => {
    const ca = await createCertificateAuthority({ commonName: 'test CA' });
    const leaf = await issueCertificate(ca, { commonName: 'argocd-server', hosts: ['localhost'] });
    const s = new MutableCertificateSource(a);
    assert.equal(s.update({ ...leaf, caPem: ca.certPem }), true);
    assert.equal(s.current().ca[0]?.subject, 'CN=test CA');
  });
});
