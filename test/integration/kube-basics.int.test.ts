import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apis/index.js';
import { KubeApiError, type KubeClient, type WatchEvent } from '../../src/kube/index.js';
import { kube, tempNamespace } from '../support/kube.js';

const configmaps = { group: '', version: 'v1', resource: 'configmaps' } as const;

function cm(ns: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
}

describe('kube-apiserver behaviour the project relies on', () => {
  let k: KubeClient;
  let ns: { name: string; cleanup: () => Promise<void> };
  before(async () => {
    k = await kube();
    ns = await tempNamespace('basics');
  });
  after(async () => {
    await ns.cleanup();
  });

  it('server-side apply records field managers and reports conflicts between them', async () => {
    const a = await k.apply<KubeObject & { data: Record<string, string> }>(
      cm(ns.name, 'ssa', { owner: 'a' }),
      { fieldManager: 'argocd-controller' },
    );
    assert.equal(a.data.owner, 'a');
    const managers = (a.metadata.managedFields as { manager: string; operation: string }[]).map(
      (m) => `${m.manager}/${m.operation}`,
    );
    assert.ok(managers.includes('argocd-controller/Apply'));
    // a second manager changing the same field without force conflicts
    await assert.rejects(
      k.apply(cm(ns.name, 'ssa', { owner: 'b' }), { fieldManager: 'someone-else', force: false }),
      (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.status, 409);
        return true;
      },
    );
    // with force it takes the field over
    const b = await k.apply<KubeObject & { data: Record<string, string> }>(
      cm(ns.name, 'ssa', { owner: 'b' }),
      { fieldManager: 'someone-else', force: true },
    );
    assert.equal(b.data.owner, 'b');
  });

  it('dry-run apply returns the result without persisting it', async () => {
    const dry = await k.apply<KubeObject & { data: Record<string, string> }>(
      cm(ns.name, 'dry', { x: '1' }),
      { fieldManager: 'argocd-controller', dryRun: true },
    );
    assert.equal(dry.data.x, '1');
    await assert.rejects(
      k.get({ ...configmaps, namespace: ns.name, name: 'dry' }),
      (err: unknown) => err instanceof KubeApiError && err.status === 404,
    );
  });

  it('watches ConfigMaps: ADDED, MODIFIED, DELETED in order, from a list resourceVersion', async () => {
    const list = await k.list({ ...configmaps, namespace: ns.name });
    const events: string[] = [];
    const ac = new AbortController();
    const done = new Promise<void>((resolve) => {
      k.watch(
        { ...configmaps, namespace: ns.name },
        { resourceVersion: list.metadata.resourceVersion ?? '0', signal: ac.signal },
        (ev: WatchEvent) => {
          if (ev.type === 'BOOKMARK' || ev.object.metadata.name !== 'watched') return;
          events.push(ev.type);
          if (ev.type === 'DELETED') resolve();
        },
      ).catch(() => undefined);
    });
    await k.create({ ...configmaps, namespace: ns.name }, cm(ns.name, 'watched', { v: '1' }));
    await k.patch({ ...configmaps, namespace: ns.name, name: 'watched' }, { data: { v: '2' } });
    await k.delete({ ...configmaps, namespace: ns.name, name: 'watched' });
    await Promise.race([
      done,
      new Promise((_, rej) =>
        setTimeout(() => {
          rej(new Error(`timed out; saw ${events.join(',')}`));
        }, 10_000),
      ),
    ]);
    ac.abort();
    assert.deepEqual(events, ['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('deletes with foreground propagation: the garbage collector (kube-controller-manager) finishes it', async () => {
    await k.create({ ...configmaps, namespace: ns.name }, cm(ns.name, 'gone', { v: '1' }));
    await k.delete(
      { ...configmaps, namespace: ns.name, name: 'gone' },
      { propagationPolicy: 'Foreground' },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      const live = await k
        .get({ ...configmaps, namespace: ns.name, name: 'gone' })
        .catch((err: unknown) => {
          if (err instanceof KubeApiError && err.status === 404) return undefined;
          throw err;
        });
      if (live === undefined) break;
      assert.ok(live.metadata.deletionTimestamp, 'marked for deletion while the collector works');
      assert.ok(Date.now() < deadline, 'the garbage collector removed the object within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
