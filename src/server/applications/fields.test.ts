import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFields } from './fields.js';

const list = {
  metadata: { resourceVersion: '42' },
  items: [
    {
      metadata: { name: 'a', uid: 'u1', labels: { x: '1' } },
      spec: { project: 'p' },
      status: { health: { status: 'Healthy' } },
    },
    { metadata: { name: 'b', uid: 'u2' }, spec: { project: 'q' } },
  ],
};

describe('parseFields', () => {
  it('keeps only the listed paths, through arrays', () => {
    const got = parseFields([
      'metadata.resourceVersion,items.metadata.name',
      'items.status.health',
    ]).apply(list);
    assert.deepEqual(got, {
      metadata: { resourceVersion: '42' },
      items: [
        { metadata: { name: 'a' }, status: { health: { status: 'Healthy' } } },
        { metadata: { name: 'b' } },
      ],
    });
  });

  it('removes paths prefixed with -', () => {
    const got = parseFields(['-items.status,-items.metadata.uid']).apply(list);
    assert.deepEqual(got.items[0], {
      metadata: { name: 'a', labels: { x: '1' } },
      spec: { project: 'p' },
    });
    assert.equal(list.items[0]?.metadata.uid, 'u1', 'the input is not changed');
  });

  it('ignores unknown paths and is empty without fields', () => {
    assert.deepEqual(parseFields(['items.nope.deeper']).apply(list), { items: [{}, {}] });
    assert.equal(parseFields([]).empty, true);
    assert.equal(parseFields(['', ' ']).empty, true);
  });

  it('narrows to a prefix for watch events', () => {
    const f = parseFields(['result.type,result.application.metadata.name']);
    const ev = { result: { type: 'ADDED', application: list.items[0] } };
    assert.deepEqual(f.apply(ev), {
      result: { type: 'ADDED', application: { metadata: { name: 'a' } } },
    });
    assert.deepEqual(f.under('result.application').include, ['metadata.name']);
    assert.equal(parseFields(['result']).under('result.application').empty, true);
  });
});
