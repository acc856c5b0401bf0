import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.js';
import { applyJsonPatch, applyMergePatch, applyPatch } from './patch.js';

const doc = {
  spec: { project: 'a', info: [{ name: 'x', value: '1' }], syncPolicy: { automated: {} } },
};

function isBadPatch(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'ERR_API_INVALID_ARGUMENT';
}

describe('applyJsonPatch (RFC 6902)', () => {
  const cases: { name: string; patch: unknown[]; want: unknown }[] = [
    {
      name: 'replace',
      patch: [{ op: 'replace', path: '/spec/project', value: 'b' }],
      want: { ...doc.spec, project: 'b' },
    },
    {
      name: 'add to an array end',
      patch: [{ op: 'add', path: '/spec/info/-', value: { name: 'y', value: '2' } }],
      want: {
        ...doc.spec,
        info: [
          { name: 'x', value: '1' },
          { name: 'y', value: '2' },
        ],
      },
    },
    {
      name: 'remove',
      patch: [{ op: 'remove', path: '/spec/syncPolicy' }],
      want: { project: 'a', info: doc.spec.info },
    },
    {
      name: 'copy',
      patch: [{ op: 'copy', from: '/spec/project', path: '/spec/p2' }],
      want: { ...doc.spec, p2: 'a' },
    },
    {
      name: 'move',
      patch: [{ op: 'move', from: '/spec/project', path: '/spec/p2' }],
      want: { info: doc.spec.info, syncPolicy: doc.spec.syncPolicy, p2: 'a' },
    },
    {
      name: 'test then replace',
      patch: [
        { op: 'test', path: '/spec/project', value: 'a' },
        { op: 'replace', path: '/spec/project', value: 'c' },
      ],
      want: { ...doc.spec, project: 'c' },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = applyJsonPatch(doc, c.patch) as typeof doc;
      assert.deepEqual(got.spec, c.want);
      assert.equal(doc.spec.project, 'a', 'the input is not changed');
    });

  const bad: { name: string; patch: unknown }[] = [
    { name: 'not an array', patch: { op: 'add' } },
    { name: 'failed test', patch: [{ op: 'test', path: '/spec/project', value: 'zzz' }] },
    { name: 'missing parent', patch: [{ op: 'add', path: '/nope/x', value: 1 }] },
    { name: 'index out of bounds', patch: [{ op: 'replace', path: '/spec/info/5', value: 1 }] },
    { name: 'unknown op', patch: [{ op: 'frobnicate', path: '/spec' }] },
    {
      name: 'prototype pollution',
      patch: [{ op: 'add', path: '/__proto__/polluted', value: true }],
    },
    { name: 'move into itself', patch: [{ op: 'move', from: '/spec', path: '/spec/x' }] },
  ];
  for (const c of bad)
    it(`refuses ${c.name} with a 400`, () => {
      assert.throws(() => applyJsonPatch(doc, c.patch), isBadPatch);
    });
  it('never pollutes Object.prototype', () => {
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('merges objects, replaces arrays, deletes on null', () => {
    const got = applyMergePatch(doc, { spec: { project: 'b', info: [], syncPolicy: null } });
    assert.deepEqual(got, { spec: { project: 'b', info: [] } });
  });
  it('refuses __proto__ keys', () => {
    assert.throws(() => applyMergePatch(doc, JSON.parse('{"__proto__":{"x":1}}')), isBadPatch);
  });
});

describe('applyPatch', () => {
  it('defaults to a JSON patch and accepts merge', () => {
    assert.deepEqual(applyPatch({ a: 1 }, '[{"op":"replace","path":"/a","value":2}]', undefined), {
      a: 2,
    });
    assert.deepEqual(applyPatch({ a: 1 }, '{"b":2}', 'merge'), { a: 1, b: 2 });
  });
  it('refuses other patch types and invalid JSON', () => {
    assert.throws(() => applyPatch({}, '{}', 'strategic'), isBadPatch);
    assert.throws(() => applyPatch({}, '{nope', 'merge'), isBadPatch);
  });
});
