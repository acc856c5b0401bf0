import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryCluster, demoManifests, runDemo, syncRound } from './engine-agent.js';

describe('engine-agent example', () => {
  it('syncs an empty cluster, does nothing when in sync, and rolls out a change with pruning', () => {
    const lines: string[] = [];
    const [first, second, third] = runDemo((l) => lines.push(l));
    assert.ok(first && second && third);
    assert.equal(first.before.syncStatus, 'OutOfSync');
    assert.equal(first.after.syncStatus, 'Synced');
    assert.equal(first.after.health.status, 'Healthy');
    assert.equal(first.sync?.phase, 'Succeeded');
    assert.deepEqual(first.actions.slice(0, 3), [
      'apply Namespace/demo',
      'apply Job/migrate',
      'apply ConfigMap/settings',
    ]);

    assert.equal(second.sync, undefined, 'nothing to do when in sync');
    assert.deepEqual(second.actions, []);

    assert.equal(third.before.syncStatus, 'OutOfSync');
    assert.ok(third.actions.includes('delete ConfigMap/legacy'), 'the removed object is pruned');
    assert.ok(third.actions.includes('delete Job/migrate'), 'the hook is re-created');
    assert.equal(third.after.syncStatus, 'Synced');
    assert.deepEqual(third.after.images, ['example/migrate:1', 'example/web:2']);
    assert.ok(lines[0]?.startsWith('round 1: OutOfSync -> Synced'));
  });

  it('leaves extraneous objects alone without prune', () => {
    const cluster = new InMemoryCluster();
    const opts = { appName: 'demo', namespace: 'demo' };
    syncRound(cluster, demoManifests.v1, opts);
    const r = syncRound(cluster, demoManifests.v2, { ...opts, prune: false });
    assert.equal(r.after.syncStatus, 'OutOfSync');
    assert.equal(r.after.resources.find((x) => x.name === 'legacy')?.requiresPruning, true);
    assert.equal(
      r.sync?.resources.find((x) => x.name === 'legacy')?.message,
      'ignored (requires pruning)',
    );
  });
});
