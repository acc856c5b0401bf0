import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fnv32a, resolveShard, shardForCluster } from './index.js';

describe('sharding', () => {
  it('computes FNV-32a like Go hash/fnv', () => {
    // reference values of Go's fnv.New32a()
    assert.equal(fnv32a(''), 0x811c9dc5);
    assert.equal(fnv32a('a'), 0xe40c292c);
    assert.equal(fnv32a('foobar'), 0xbf9cf968);
  });

  const cases = [
    { name: 'one replica owns everything', cluster: { id: 'abc' }, replicas: 1, want: 0 },
    { name: 'in-cluster (no id) is shard 0', cluster: {}, replicas: 3, want: 0 },
    {
      name: 'legacy hashes the id',
      cluster: { id: 'foobar' },
      replicas: 3,
      want: 0xbf9cf968 % 3,
    },
    {
      name: 'shard field below replicas wins',
      cluster: { id: 'foobar', shard: 2 },
      replicas: 3,
      want: 2,
    },
    {
      name: 'shard field not below replicas is ignored',
      cluster: { id: 'foobar', shard: 7 },
      replicas: 3,
      want: 0xbf9cf968 % 3,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(shardForCluster(c.cluster, c.replicas), c.want);
    });

  it('round-robin spreads clusters sorted by id', () => {
    const all = [{ id: 'c' }, { id: 'a' }, { id: 'b' }];
    const shards = all.map((c) => shardForCluster(c, 2, 'round-robin', all));
    // sorted ids: '' (in-cluster), a, b, c
    assert.deepEqual(shards, [1, 1, 0]);
  });

  it('takes the shard from the environment, else from the hostname ordinal', () => {
    assert.equal(resolveShard(1, 'whatever', 2), 1);
    assert.equal(resolveShard(-1, 'argocd-application-controller-2', 3), 2);
    assert.equal(resolveShard(-1, 'laptop', 3), 0);
    assert.throws(() => resolveShard(-1, 'argocd-application-controller-5', 3), /not below/);
  });
});
