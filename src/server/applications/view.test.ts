import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFields } from './fields.js';
import type { StoredApplication } from './state.js';
import { appView, listJson } from './view.js';

function app(name: string): StoredApplication {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      uid: `uid-${name}`,
      managedFields: [{ manager: 'x' }],
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"secret":"x"}',
        keep: 'y',
      },
    },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example/r.git' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'x' },
    },
    status: {
      health: { status: 'Healthy' },
      conditions: [
        { type: 'ComparisonError', message: 'clone https://bob:hunter2@git.example/r.git failed' },
      ],
    },
  };
}

describe('appView', () => {
  it('drops managed fields and last-applied, and redacts status messages', () => {
    const v = appView(app('a'));
    assert.equal(v.metadata.managedFields, undefined);
    assert.deepEqual(v.metadata.annotations, { keep: 'y' });
    assert.doesNotMatch(JSON.stringify(v), /hunter2/);
  });
});

describe('listJson', () => {
  const items = [app('a'), app('b')];
  const meta = { resourceVersion: '7' };
  const cases = [
    [],
    ['metadata.resourceVersion,items.metadata.name,items.status.health'],
    ['items.spec'],
    ['metadata.resourceVersion'],
    ['-items.status,-items.metadata.uid'],
    ['items'],
  ];
  for (const f of cases)
    it(`answers as projecting the whole list would (fields ${JSON.stringify(f)})`, () => {
      const fields = parseFields(f);
      const whole = { metadata: meta, items: items.map(appView) };
      const want = fields.empty ? whole : fields.apply(whole);
      assert.deepEqual(JSON.parse(listJson(meta, items, fields).toString('utf8')), want);
      // a second answer comes from the memoised fragments and is the same
      assert.deepEqual(JSON.parse(listJson(meta, items, fields).toString('utf8')), want);
    });
});
