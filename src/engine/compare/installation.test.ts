import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../apis/index.js';
import {
  compareAppState,
  foreignInstallationOf,
  getAppInstance,
  planSync,
  prepareDesired,
  type TrackingOptions,
} from '../index.js';
import { FakeCluster, drive } from '../testing.js';

const NS = 'web';
const ID = 'argocd.argoproj.io/installation-id';

const configMap = (name: string, data: Record<string, string> = { k: 'v' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

/** What instance `installationId` leaves live after syncing `objs` as app `guestbook`. */
function syncedBy(objs: KubeObject[], tracking: TrackingOptions): KubeObject[] {
  return prepareDesired(objs, {
    appInstanceName: 'guestbook',
    destinationNamespace: NS,
    tracking,
  }).resources.map((r) => r.object);
}

function compare(objs: KubeObject[], live: KubeObject[], tracking: TrackingOptions) {
  const desired = prepareDesired(objs, {
    appInstanceName: 'guestbook',
    destinationNamespace: NS,
    tracking,
  });
  return compareAppState({ desired, live });
}

describe('installation id (argocd-cm installationID)', () => {
  it('writes the installation id next to the tracking, and none without one', () => {
    const [a] = syncedBy([configMap('c')], { installationId: 'inst-a' });
    assert.equal(a?.metadata.annotations?.[ID], 'inst-a');
    assert.equal(
      a.metadata.annotations['argocd.argoproj.io/tracking-id'],
      'guestbook:/ConfigMap:web/c',
    );
    const [plain] = syncedBy([configMap('c')], {});
    assert.equal(plain?.metadata.annotations?.[ID], undefined);
    const [label] = syncedBy([configMap('c')], { method: 'label', installationId: 'inst-a' });
    assert.equal(label?.metadata.annotations?.[ID], 'inst-a');
  });

  const cases: {
    name: string;
    liveBy: TrackingOptions;
    ours: TrackingOptions;
    tracked: boolean;
    foreign: string | undefined;
  }[] = [
    {
      name: 'same id',
      liveBy: { installationId: 'a' },
      ours: { installationId: 'a' },
      tracked: true,
      foreign: undefined,
    },
    { name: 'no ids at all', liveBy: {}, ours: {}, tracked: true, foreign: undefined },
    {
      name: 'another id',
      liveBy: { installationId: 'b' },
      ours: { installationId: 'a' },
      tracked: false,
      foreign: 'b',
    },
    {
      name: 'missing while ours is set',
      liveBy: {},
      ours: { installationId: 'a' },
      tracked: false,
      foreign: '',
    },
    {
      name: 'set while ours is not',
      liveBy: { installationId: 'b' },
      ours: {},
      tracked: false,
      foreign: 'b',
    },
    {
      name: 'label tracking, another id',
      liveBy: { method: 'label', installationId: 'b' },
      ours: { method: 'label', installationId: 'a' },
      tracked: false,
      foreign: 'b',
    },
  ];
  for (const c of cases)
    it(`tracks and tells foreign objects apart: ${c.name}`, () => {
      const [live] = syncedBy([configMap('c')], c.liveBy);
      assert.ok(live);
      assert.equal(getAppInstance(live, c.ours) === 'guestbook', c.tracked);
      assert.equal(foreignInstallationOf(live, c.ours), c.foreign);
    });

  it('does not count an untracked object as another installation (a sync may adopt it)', () => {
    assert.equal(foreignInstallationOf(configMap('c'), { installationId: 'a' }), undefined);
  });

  it('never prunes the objects of another installation with an app of the same name', () => {
    const theirs = syncedBy([configMap('old')], { installationId: 'b' });
    const r = compare([configMap('c')], theirs, { installationId: 'a' });
    assert.deepEqual(
      r.items.map((i) => [i.key.name, i.requiresPruning]),
      [['c', false]],
    );
    const mine = syncedBy([configMap('old')], { installationId: 'a' });
    const r2 = compare([configMap('c')], mine, { installationId: 'a' });
    assert.ok(r2.items.some((i) => i.key.name === 'old' && i.requiresPruning));
  });

  it('reports an object of another installation at a desired key as a comparison problem, and the sync refuses it before any change', () => {
    const theirs = syncedBy([configMap('c', { k: 'theirs' })], { installationId: 'b' });
    const r = compare([configMap('c'), configMap('d')], theirs, { installationId: 'a' });
    const item = r.items.find((i) => i.key.name === 'c');
    assert.equal(item?.foreignInstallation, 'b');
    assert.equal(item.status, 'OutOfSync');
    assert.deepEqual(
      r.conditions.map((c) => c.type),
      ['ComparisonError'],
    );
    assert.match(
      r.conditions[0]?.message ?? '',
      /ConfigMap\/c is managed by another Argo CD installation \(installation id "b"\)/,
    );

    const cluster = new FakeCluster();
    for (const o of theirs) cluster.seed(o);
    const plan = planSync(r, { destinationNamespace: NS });
    const { final } = drive(plan, cluster);
    assert.equal(final.phase, 'Failed');
    assert.match(final.message, /managed by another Argo CD installation/);
    assert.deepEqual(
      cluster.log.filter((l) => !l.includes('[dry]')),
      [],
      'the sync changed something',
    );
    const kept = [...cluster.objects.values()].find((o) => o.metadata.name === 'c');
    assert.equal(kept?.metadata.annotations?.[ID], 'b');
    assert.deepEqual(kept.data, { k: 'theirs' });
  });
});
