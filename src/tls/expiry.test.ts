import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { recordingLogger } from '../../test/support/tls.js';
import {
  createCertificateAuthority,
  createComponentSelfSigned,
  EXPIRY_METRIC_NAME,
  issueCertificate,
  MutableCertificateSource,
  observeCertificateExpiry,
  StaticCaBundleSource,
  type PemPair,
} from './index.js';

const DAY = 86_400_000;
const ISSUED = new Date('2026-01-01T00:00:00Z');
// 365 days from ISSUED
const NOT_AFTER = new Date(ISSUED.getTime() + 365 * DAY);

async function gaugeValues(registry: Registry): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetricAsString(EXPIRY_METRIC_NAME);
  const out = new Map<string, number>();
  for (const line of metric.split('\n')) {
    const m =
      /^argocd_tls_certificate_expiry_timestamp_seconds\{component="([^"]+)",role="([^"]+)"\} (\d+)$/.exec(
        line,
      );
    if (m) out.set(`${m[1] ?? ''}/${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

let pair: PemPair;
before(async () => {
  pair = await createComponentSelfSigned({
    component: 'argocd-repo-server',
    namespace: 'argocd',
    now: ISSUED,
  });
});

describe('observeCertificateExpiry', () => {
  it('exposes notAfter as a Unix timestamp per component and role', async () => {
    const registry = new Registry();
    const obs = observeCertificateExpiry({
      registry,
      component: 'argocd-repo-server',
      now: () => ISSUED,
      checkIntervalMs: 0,
    });
    obs.observeCertificate('serving', new MutableCertificateSource(pair));
    const values = await gaugeValues(registry);
    assert.equal(values.get('argocd-repo-server/serving'), NOT_AFTER.getTime() / 1000);
    assert.equal(values.has('argocd-repo-server/serving-ca'), false, 'no ca.crt, no series');
    obs.close();
  });

  const warnings = [
    { name: '100 days ahead: nothing', daysLeft: 100, level: undefined },
    { name: '31 days ahead: nothing', daysLeft: 31, level: undefined },
    { name: '30 days ahead: a warning', daysLeft: 30, level: 'warn' },
    { name: '10 days ahead: a warning', daysLeft: 10, level: 'warn' },
    { name: 'after expiry: an error', daysLeft: -1, level: 'error' },
  ] as const;
  for (const c of warnings)
    it(`logs ${c.name}`, () => {
      const log = recordingLogger();
      const now = new Date(NOT_AFTER.getTime() - c.daysLeft * DAY);
      const obs = observeCertificateExpiry({
        registry: new Registry(),
        component: 'argocd-repo-server',
        logger: log,
        now: () => now,
        checkIntervalMs: 0,
      });
      obs.observeCertificate('serving', new MutableCertificateSource(pair));
      assert.deepEqual(
        log.entries.map((e) => e.level),
        c.level ? [c.level] : [],
      );
      const [entry] = log.entries;
      if (c.level === 'warn') {
        assert.ok(entry);
        assert.equal(entry.obj.daysLeft, c.daysLeft);
        assert.match(entry.msg, /serving certificate of argocd-repo-server expires in/);
      }
      obs.close();
    });

  it('warns on the periodic check when the clock reaches the window', () => {
    const log = recordingLogger();
    let now = ISSUED;
    const obs = observeCertificateExpiry({
      registry: new Registry(),
      component: 'argocd-server',
      logger: log,
      now: () => now,
      checkIntervalMs: 0,
    });
    obs.observeCertificate('serving', new MutableCertificateSource(pair));
    assert.equal(log.entries.length, 0);
    now = new Date(NOT_AFTER.getTime() - 5 * DAY);
    obs.check();
    assert.equal(log.entries.length, 1);
    obs.close();
  });

  it('follows a reloaded certificate and its CA', async () => {
    const registry = new Registry();
    const source = new MutableCertificateSource(pair);
    const obs = observeCertificateExpiry({
      registry,
      component: 'argocd-server',
      now: () => ISSUED,
      checkIntervalMs: 0,
    });
    obs.observeCertificate('serving', source);
    const ca = await createCertificateAuthority({
      commonName: 'ca',
      now: ISSUED,
      validityDays: 1000,
    });
    const leaf = await issueCertificate(ca, {
      commonName: 'argocd-server',
      now: ISSUED,
      validityDays: 30,
    });
    source.update({ ...leaf, caPem: ca.certPem });
    const values = await gaugeValues(registry);
    assert.equal(values.get('argocd-server/serving'), (ISSUED.getTime() + 30 * DAY) / 1000);
    assert.equal(values.get('argocd-server/serving-ca'), (ISSUED.getTime() + 1000 * DAY) / 1000);
    obs.close();
  });

  it('reports the earliest expiry of a CA bundle and shares the gauge between observers', async () => {
    const registry = new Registry();
    const a = await createCertificateAuthority({ commonName: 'a', now: ISSUED, validityDays: 100 });
    const b = await createCertificateAuthority({ commonName: 'b', now: ISSUED, validityDays: 50 });
    const one = observeCertificateExpiry({
      registry,
      component: 'argocd-repo-server',
      checkIntervalMs: 0,
    });
    const two = observeCertificateExpiry({
      registry,
      component: 'argocd-application-controller',
      checkIntervalMs: 0,
    });
    one.observeCaBundle('client-ca', new StaticCaBundleSource(a.certPem + b.certPem));
    two.observeCaBundle('repo-server-ca', new StaticCaBundleSource(a.certPem));
    const values = await gaugeValues(registry);
    assert.equal(values.get('argocd-repo-server/client-ca'), (ISSUED.getTime() + 50 * DAY) / 1000);
    assert.equal(
      values.get('argocd-application-controller/repo-server-ca'),
      (ISSUED.getTime() + 100 * DAY) / 1000,
    );
    one.close();
    two.close();
  });
});
