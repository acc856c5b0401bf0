/**
 * The internal PKI in a real cluster: `pkiToSecrets` objects are accepted by the kube-apiserver
 * (which validates `kubernetes.io/tls` Secrets), and argocd-server's pattern works end to end: a
 * watch on `argocd-server-tls` feeds a MutableCertificateSource, and a renewed Secret is served at
 * the next handshake without a restart, verified by a client that trusts the Secret's `ca.crt`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeSecretData, type Secret } from '../../src/apis/index.js';
import { KubeApiError, type KubeClient, type WatchEvent } from '../../src/kube/index.js';
import {
  attachHotReload,
  createServerTls,
  initInternalPki,
  MutableCertificateSource,
  pkiToSecrets,
  PkiSecretNames,
  StaticCertificateSource,
  type InternalPki,
} from '../../src/tls/index.js';
import { kube, tempNamespace } from '../support/kube.js';
import { handshake, startGreetingServer, waitFor } from '../support/tls.js';

const secrets = { group: '', version: 'v1', resource: 'secrets' } as const;

describe('internal PKI as Kubernetes Secrets', () => {
  let k: KubeClient;
  let ns: { name: string; cleanup: () => Promise<void> };
  let pki: InternalPki;

  before(async () => {
    k = await kube();
    ns = await tempNamespace('tls');
    pki = await initInternalPki({ namespace: ns.name });
    for (const s of pkiToSecrets(pki)) await k.create({ ...secrets, namespace: ns.name }, s);
  });
  after(async () => {
    await ns.cleanup();
  });

  it('stores every Secret with its type and keys intact', async () => {
    for (const want of pkiToSecrets(pki)) {
      const name = want.metadata.name ?? '';
      const got = await k.get<Secret>({ ...secrets, namespace: ns.name, name });
      assert.equal(got.type, want.type, name);
      assert.deepEqual(decodeSecretData(got), decodeSecretData(want), name);
    }
  });

  it('is refused by the API server when a kubernetes.io/tls Secret lacks tls.key', async () => {
    const [bad] = pkiToSecrets(pki).filter((s) => s.metadata.name === PkiSecretNames.serverTls);
    assert.ok(bad?.data);
    const { 'tls.key': _dropped, ...rest } = bad.data;
    await assert.rejects(
      k.create(
        { ...secrets, namespace: ns.name },
        { ...bad, metadata: { ...bad.metadata, name: 'broken-tls' }, data: rest },
      ),
      (err: unknown) => err instanceof KubeApiError && err.status === 422,
    );
  });

  it('serves a renewed argocd-server-tls Secret at the next handshake (watch-fed source)', async () => {
    const ref = { ...secrets, namespace: ns.name, name: PkiSecretNames.serverTls };
    const initial = decodeSecretData(await k.get<Secret>(ref));
    const pairOf = (d: Record<string, string>) => ({
      certPem: d['tls.crt'] ?? '',
      keyPem: d['tls.key'] ?? '',
      caPem: d['ca.crt'],
    });
    const source = new MutableCertificateSource(
      pairOf(initial),
      `secret ${ns.name}/argocd-server-tls`,
    );
    const serverTls = createServerTls({ source });
    const server = await startGreetingServer(serverTls.serverOptions());
    attachHotReload(server.server, serverTls);
    const ac = new AbortController();
    const watching = k
      .watch<Secret>(
        { ...secrets, namespace: ns.name },
        {
          // collection watch in the namespace, narrowed to the one Secret
          fieldSelector: `metadata.name=${PkiSecretNames.serverTls}`,
          signal: ac.signal,
        },
        (ev: WatchEvent<Secret>) => {
          if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
          try {
            source.update(pairOf(decodeSecretData(ev.object)));
          } catch {
            // refused material: the source logged it and keeps the previous certificate
          }
        },
      )
      .catch(() => undefined);
    const client = {
      ca: initial['ca.crt'] ?? '',
      servername: `argocd-server.${ns.name}.svc`,
    };
    try {
      const first = await handshake(server.port, client);
      assert.equal(first.ok, true, first.error);
      assert.equal(first.serverSerial, source.current().leaf.serialNumber);

      const renewed = await initInternalPki({ namespace: ns.name, ca: pki.ca });
      const [next] = pkiToSecrets(renewed).filter(
        (s) => s.metadata.name === PkiSecretNames.serverTls,
      );
      assert.ok(next);
      const changed = waitFor(serverTls, 'change');
      await k.replace(ref, next);
      await changed;
      const second = await handshake(server.port, client);
      assert.equal(second.ok, true, second.error);
      assert.equal(
        second.serverSerial,
        new StaticCertificateSource(renewed.serving['argocd-server']).current().leaf.serialNumber,
      );
    } finally {
      ac.abort();
      await watching;
      await server.close();
    }
  });
});
