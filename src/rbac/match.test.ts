import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGlob } from '../lib/index.js';
import { compilePattern, MAX_GLOB_ALTERNATIVES } from './match.js';

function glob(pattern: string): (v: string) => boolean {
  const r = compilePattern(pattern, 'glob');
  assert.ok(r.ok, `pattern ${pattern} should compile`);
  return r.match;
}

describe('compilePattern (glob)', () => {
  const cases = [
    { name: '* crosses /', pattern: '*', value: 'a/b/c', want: true },
    { name: '*/* needs a slash', pattern: '*/*', value: 'ab', want: false },
    { name: '*/* with a slash', pattern: '*/*', value: 'a/b/c', want: true },
    { name: 'a prefix', pattern: 'team-a/*', value: 'team-a/web', want: true },
    { name: 'a wrong prefix', pattern: 'team-a/*', value: 'team-b/web', want: false },
    { name: 'a suffix', pattern: '*-prod', value: 'a/web-prod', want: true },
    { name: 'a middle segment', pattern: 'p/*-x-*', value: 'p/a-x-b', want: true },
    { name: 'overlapping segments', pattern: '*aa*aa', value: 'aaa', want: false },
    {
      name: 'segments that must not overlap the suffix',
      pattern: '*ab*b',
      value: 'ab',
      want: false,
    },
    { name: '? is one character', pattern: 'a?c', value: 'a/c', want: true },
    { name: '? is one code point', pattern: 'a?c', value: 'a😀c', want: true },
    { name: 'a class', pattern: 'team-[ab]/*', value: 'team-b/x', want: true },
    { name: 'a negated class', pattern: '[!p]*', value: 'p0/a', want: false },
    { name: 'a range', pattern: 'p[0-2]', value: 'p3', want: false },
    { name: 'alternatives', pattern: '{get,sync}', value: 'sync', want: true },
    { name: 'nested alternatives', pattern: 'a{b,{c,d}e}', value: 'ade', want: true },
    { name: 'an escaped star', pattern: 'a\\*', value: 'ab', want: false },
    { name: 'an escaped star literal', pattern: 'a\\*', value: 'a*', want: true },
    { name: 'an unclosed class is literal', pattern: 'a[b', value: 'a[b', want: true },
    { name: 'a double star', pattern: 'a**b', value: 'a/x/b', want: true },
    { name: 'an empty value against a star', pattern: '*', value: '', want: true },
  ];
  for (const c of cases) {
    it(`matches ${c.name}`, () => {
      assert.equal(glob(c.pattern)(c.value), c.want);
    });
  }

  it('agrees with the regex compiler of src/lib on generated patterns', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ['a', 'b', '/', '-', '*', '?', '[ab]', '[!a]', '[a-c]', '{a,b/}', '\\*', '**'];
    const chars = ['a', 'b', 'c', '/', '-', '*'];
    for (let i = 0; i < 3000; i++) {
      const pattern = Array.from({ length: 1 + rnd(6) }, () => pieces[rnd(pieces.length)]).join('');
      const value = Array.from({ length: rnd(8) }, () => chars[rnd(chars.length)]).join('');
      assert.equal(glob(pattern)(value), compileGlob(pattern).test(value), `${pattern} ~ ${value}`);
    }
  });

  it('answers a many-star pattern against a long name (linear, no backtracking blow-up)', () => {
    // with a backtracking regex this case takes seconds; here it is a linear scan
    assert.equal(glob('*a*a*a*a*a*b')('a'.repeat(5000)), false);
    assert.equal(glob('*a*a*a*a*a*b')(`${'a'.repeat(5000)}b`), true);
  });

  it('warns about an empty range and refuses an explosion of alternatives', () => {
    const r = compilePattern('[z-a]x', 'glob');
    assert.ok(r.ok);
    assert.match(r.warning ?? '', /matches nothing/);
    assert.equal(r.match('ax'), false);
    const many = '{a,b}'.repeat(Math.ceil(Math.log2(MAX_GLOB_ALTERNATIVES)) + 1);
    const refused = compilePattern(many, 'glob');
    assert.ok(!refused.ok);
    assert.match(refused.message, /more than 256 alternatives/);
  });
});

describe('compilePattern (regex)', () => {
  it('matches unanchored', () => {
    const r = compilePattern('web', 'regex');
    assert.ok(r.ok);
    assert.equal(r.match('p/webshop'), true);
  });

  it('reports an invalid expression', () => {
    const r = compilePattern('*/*', 'regex');
    assert.ok(!r.ok);
    assert.match(r.message, /not a valid regular expression/);
  });

  it('warns about nested repetition', () => {
    const r = compilePattern('^(a+)+$', 'regex');
    assert.ok(r.ok);
    assert.match(r.warning ?? '', /nests repetition/);
    const fine = compilePattern('^team-(a|b)/.*$', 'regex');
    assert.ok(fine.ok);
    assert.equal(fine.warning, undefined);
  });
});
