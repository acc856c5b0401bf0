import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceNode } from '../../apis/index.js';
import { logFilter, parseLogLine, selectPods } from './logs-routes.js';

describe('parseLogLine', () => {
  const cases = [
    {
      name: 'splits the RFC 3339 timestamp the pod log API prefixes',
      line: '2024-05-01T10:00:00.123456789Z hello world',
      want: { timeStamp: '2024-05-01T10:00:00.123456789Z', content: 'hello world' },
    },
    {
      name: 'keeps a line without a timestamp whole',
      line: 'no timestamp here',
      want: { timeStamp: undefined, content: 'no timestamp here' },
    },
    {
      name: 'keeps an empty content',
      line: '2024-05-01T10:00:00Z ',
      want: { timeStamp: '2024-05-01T10:00:00Z', content: '' },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(parseLogLine(c.line), c.want);
    });
});

describe('logFilter', () => {
  it('keeps every line without a filter', () => {
    assert.equal(logFilter(undefined, false)('x'), true);
    assert.equal(logFilter('', false)('x'), true);
  });
  it('matches case-insensitively unless matchCase', () => {
    assert.equal(logFilter('error', false)('An ERROR happened'), true);
    assert.equal(logFilter('error', true)('An ERROR happened'), false);
  });
  it('negates with a leading !', () => {
    assert.equal(logFilter('!debug', false)('DEBUG: noise'), false);
    assert.equal(logFilter('!debug', false)('info: useful'), true);
  });
});

describe('selectPods', () => {
  const node = (n: Partial<ResourceNode> & { kind: string; name: string }): ResourceNode => ({
    group: '',
    version: 'v1',
    namespace: 'ns',
    ...n,
  });
  const nodes: ResourceNode[] = [
    node({ group: 'apps', kind: 'Deployment', name: 'web', uid: 'd1' }),
    node({
      group: 'apps',
      kind: 'ReplicaSet',
      name: 'web-1',
      uid: 'r1',
      parentRefs: [{ group: 'apps', kind: 'Deployment', name: 'web', namespace: 'ns', uid: 'd1' }],
    }),
    node({
      kind: 'Pod',
      name: 'web-1-a',
      uid: 'p1',
      parentRefs: [
        { group: 'apps', kind: 'ReplicaSet', name: 'web-1', namespace: 'ns', uid: 'r1' },
      ],
    }),
    node({ kind: 'Pod', name: 'job-x', uid: 'p2' }),
    node({ kind: 'ConfigMap', name: 'cfg', uid: 'c1' }),
  ];
  const names = (q: Parameters<typeof selectPods>[1]): string[] =>
    selectPods(nodes, q).map((p) => p.name);

  it('selects a pod by name, only when it is in the tree', () => {
    assert.deepEqual(names({ podName: 'web-1-a' }), ['web-1-a']);
    assert.deepEqual(names({ podName: 'not-ours' }), []);
    assert.deepEqual(names({ podName: 'web-1-a', namespace: 'other' }), []);
  });
  it('selects the pods below a resource through its owners', () => {
    assert.deepEqual(names({ group: 'apps', kind: 'Deployment', resourceName: 'web' }), [
      'web-1-a',
    ]);
    assert.deepEqual(names({ group: '', kind: 'ConfigMap', resourceName: 'cfg' }), []);
  });
  it('selects every pod of the app without a pod or resource', () => {
    assert.deepEqual(names({}), ['web-1-a', 'job-x']);
  });
});
