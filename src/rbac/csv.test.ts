import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quoteCsvField, readCsvLine, trimGoSpace } from './csv.js';

describe('readCsvLine', () => {
  const ok = [
    { name: 'plain fields with spaces after commas', line: 'p, a, b', want: ['p', 'a', 'b'] },
    { name: 'no spaces', line: 'g,a,b', want: ['g', 'a', 'b'] },
    { name: 'keeps trailing spaces (Go csv)', line: 'p, a , b', want: ['p', 'a ', 'b'] },
    {
      name: 'a quoted field with a comma',
      line: 'g, "org:team, x", role:r',
      want: ['g', 'org:team, x', 'role:r'],
    },
    { name: 'a doubled quote inside quotes', line: 'g, "a""b", r', want: ['g', 'a"b', 'r'] },
    { name: 'a quoted empty field', line: 'g, "", r', want: ['g', '', 'r'] },
    { name: 'a trailing comma gives an empty field', line: 'g, a,', want: ['g', 'a', ''] },
    { name: 'tabs before a field', line: 'g,\ta,\t"b"', want: ['g', 'a', 'b'] },
    { name: 'a quoted last field', line: 'p, a, "allow"', want: ['p', 'a', 'allow'] },
  ];
  for (const c of ok) {
    it(`reads ${c.name}`, () => {
      assert.deepEqual(readCsvLine(c.line), { ok: true, fields: c.want });
    });
  }

  const bad = [
    { name: 'a bare quote in an unquoted field', line: 'g, a"b, r', column: 5 },
    { name: 'an unclosed quote', line: 'g, "a, r', column: 4 },
    { name: 'text after a closing quote', line: 'g, "a"b, r', column: 7 },
    { name: 'a space after a closing quote', line: 'g, "a" , r', column: 7 },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} with its column`, () => {
      const r = readCsvLine(c.line);
      assert.ok(!r.ok);
      assert.equal(r.column, c.column);
      assert.ok(r.message.length > 10);
    });
  }
});

describe('quoteCsvField', () => {
  it('quotes only when needed and round-trips', () => {
    for (const v of ['plain', 'a,b', 'a"b', ' lead', 'trail ', '']) {
      const r = readCsvLine(`g, ${quoteCsvField(v)}, r`);
      assert.deepEqual(r, { ok: true, fields: ['g', v, 'r'] });
    }
    assert.equal(quoteCsvField('plain'), 'plain');
  });
});

describe('trimGoSpace', () => {
  it('trims Go white space but not a byte order mark', () => {
    assert.equal(trimGoSpace(' \t\r\u00a0x \n'), 'x');
    assert.equal(trimGoSpace('\ufeffx'), '\ufeffx');
  });
});
