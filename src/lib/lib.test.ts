import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatDuration,
  globMatch,
  parseByteQuantity,
  parseDuration,
  sanitizeText,
  sanitizeUrl,
} from './index.js';

describe('parseDuration', () => {
  const cases = [
    { name: 'hours', input: '24h', want: 86_400_000 },
    { name: 'compound', input: '1h30m', want: 5_400_000 },
    { name: 'millis', input: '500ms', want: 500 },
    { name: 'fraction', input: '1.5s', want: 1500 },
    { name: 'zero', input: '0', want: 0 },
    { name: 'negative', input: '-2m', want: -120_000 },
  ];
  for (const c of cases) {
    it(`parses ${c.name}`, () => {
      assert.equal(parseDuration(c.input), c.want);
    });
  }
  for (const bad of ['', '10', 'h', '3 days', '5x']) {
    it(`refuses ${JSON.stringify(bad)} with a message naming it`, () => {
      assert.throws(() => parseDuration(bad), /invalid duration/);
    });
  }
  it('formats like Go', () => {
    assert.equal(formatDuration(5_400_000), '1h30m0s');
    assert.equal(formatDuration(120_000), '2m0s');
    assert.equal(formatDuration(250), '250ms');
  });
});

describe('parseByteQuantity', () => {
  it('reads decimal and binary suffixes', () => {
    assert.equal(parseByteQuantity('10M'), 10_000_000);
    assert.equal(parseByteQuantity('512Ki'), 524_288);
    assert.equal(parseByteQuantity('1G'), 1e9);
    assert.equal(parseByteQuantity('42'), 42);
  });
  it('refuses garbage and says what it expected', () => {
    assert.throws(() => parseByteQuantity('ten megs'), /expected a number with an optional suffix/);
  });
});

describe('globMatch', () => {
  const cases = [
    { name: 'star crosses slash without separators', p: '*', v: 'team-a/app', want: true },
    { name: 'prefix star', p: 'team-a/*', v: 'team-a/x/y', want: true },
    {
      name: 'star stops at a separator',
      p: 'https://github.com/*',
      v: 'https://github.com/a/b',
      seps: ['/'],
      want: false,
    },
    {
      name: 'double star crosses separators',
      p: 'https://github.com/**',
      v: 'https://github.com/a/b',
      seps: ['/'],
      want: true,
    },
    { name: 'question mark', p: 'ap?', v: 'app', want: true },
    { name: 'class', p: '[a-c]pp', v: 'bpp', want: true },
    { name: 'negated class', p: '[!a-c]pp', v: 'bpp', want: false },
    { name: 'alternatives', p: '{dev,prod}-*', v: 'prod-eu', want: true },
    { name: 'regex characters are literal', p: 'a.b', v: 'axb', want: false },
    { name: 'escaped star is literal', p: 'a\\*', v: 'a*', want: true },
    { name: 'anchored', p: 'app', v: 'my-app', want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(globMatch(c.p, c.v, c.seps ? { separators: c.seps } : {}), c.want);
    });
  }
});

describe('sanitizeText', () => {
  it('removes userinfo from URLs', () => {
    const out = sanitizeText('fatal: could not read from https://bob:hunter2@git.example/x.git');
    assert.ok(!out.includes('hunter2'));
    assert.ok(!out.includes('bob'));
  });
  it('removes named secrets, also URL-encoded', () => {
    const out = sanitizeText('auth failed for p@ss/word and p%40ss%2Fword', ['p@ss/word']);
    assert.ok(!out.includes('p@ss/word'));
    assert.ok(!out.includes('p%40ss%2Fword'));
  });
  it('removes bearer tokens, JWTs and private keys', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl';
    const out = sanitizeText(
      `Authorization: Bearer abcdefghijklmnop token=${jwt} -----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----`,
    );
    assert.ok(!out.includes('abcdefghijklmnop'));
    assert.ok(!out.includes(jwt));
    assert.ok(!out.includes('MIIB'));
  });
  it('drops query strings of URLs', () => {
    assert.equal(sanitizeUrl('https://u:p@h.example/p?token=abc#f'), 'https://h.example/p');
  });
});

describe('globMatch complexity', () => {
  it('matches a many-star pattern against a long value in linear time (no backtracking blow-up)', () => {
    const value = 'a'.repeat(4000);
    // with a backtracking regex this takes far longer than the test timeout; here it is immediate
    assert.equal(globMatch('*a*a*a*a*a*a*a*a*b', value), false);
    assert.equal(globMatch('*a*a*a*a*a*a*a*a*', value), true);
  });
  it('handles nested alternatives and separators', () => {
    assert.equal(globMatch('{a,b{c,d}}/*', 'bd/x', { separators: ['/'] }), true);
    assert.equal(globMatch('{a,b{c,d}}/*', 'bd/x/y', { separators: ['/'] }), false);
    assert.equal(globMatch('[]a]x', ']x'), true);
  });
  it('refuses a pattern whose alternatives explode', () => {
    assert.throws(() => globMatch('{a,b}'.repeat(12), 'a'), /alternatives/);
  });
});
