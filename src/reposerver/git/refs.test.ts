import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listBranchesAndTags, parseLsRemote, resolveAgainstRefs, tagsAt } from './refs.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const T = 'd'.repeat(40);
const output = [
  `ref: refs/heads/main\tHEAD`,
  `${A}\tHEAD`,
  `${A}\trefs/heads/main`,
  `${B}\trefs/heads/feature/x`,
  `${T}\trefs/tags/v1.0`,
  `${C}\trefs/tags/v1.0^{}`,
  `${B}\trefs/tags/light`,
  `${A}\trefs/pull/1/head`,
  '',
].join('\n');

describe('parseLsRemote', () => {
  const refs = parseLsRemote(output);

  it('reads HEAD, its target and peels annotated tags', () => {
    assert.equal(refs.head, A);
    assert.equal(refs.headTarget, 'refs/heads/main');
    assert.equal(refs.refs.get('refs/tags/v1.0'), C);
    assert.equal(refs.refs.get('refs/tags/light'), B);
  });

  const cases: { name: string; rev: string; want: string | undefined }[] = [
    { name: 'empty means HEAD', rev: '', want: A },
    { name: 'HEAD', rev: 'HEAD', want: A },
    { name: 'a branch', rev: 'main', want: A },
    { name: 'a branch with a slash', rev: 'feature/x', want: B },
    { name: 'an annotated tag resolves to its commit', rev: 'v1.0', want: C },
    { name: 'a full ref', rev: 'refs/pull/1/head', want: A },
    { name: 'a full SHA is taken as is', rev: 'e'.repeat(40), want: 'e'.repeat(40) },
    { name: 'an unknown name', rev: 'nope', want: undefined },
  ];
  for (const c of cases) {
    it(`resolves ${c.name}`, () => {
      assert.equal(resolveAgainstRefs(refs, c.rev), c.want);
    });
  }

  it('lists branches and tags and the tags of a commit', () => {
    assert.deepEqual(listBranchesAndTags(refs), {
      branches: ['feature/x', 'main'],
      tags: ['light', 'v1.0'],
    });
    assert.deepEqual(tagsAt(refs, B), ['light']);
    assert.deepEqual(tagsAt(refs, C), ['v1.0']);
  });
});
