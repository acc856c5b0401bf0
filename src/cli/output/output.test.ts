import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffLines, sortKeys, toDiffYaml, unifiedDiff } from './diff.js';
import { parseOutputFormat, toJson } from './format.js';
import { formatFields, formatTable, StreamingTable } from './table.js';

/** Applies a unified diff to `text` (a small `patch`), to prove the hunks are right. */
function applyPatch(text: string, patch: string): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let pos = 0;
  const body = patch.split('\n').slice(2);
  for (let i = 0; i < body.length; i++) {
    const h = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(body[i] ?? '');
    if (!h) continue;
    const start = Number(h[1]) - (Number(h[2]) === 0 ? 0 : 1);
    while (pos < start) out.push(lines[pos++] ?? '');
    for (i++; i < body.length && !(body[i] ?? '').startsWith('@@'); i++) {
      const l = body[i] ?? '';
      if (l === '') continue;
      if (l[0] === ' ') {
        assert.equal(lines[pos], l.slice(1), 'context line does not match');
        out.push(lines[pos++] ?? '');
      } else if (l[0] === '-') {
        assert.equal(lines[pos], l.slice(1), 'removed line does not match');
        pos++;
      } else if (l[0] === '+') out.push(l.slice(1));
    }
    i--;
  }
  while (pos < lines.length) out.push(lines[pos++] ?? '');
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

describe('formatTable', () => {
  it('pads every column but the last to its widest cell plus two spaces, headers upper case', () => {
    assert.equal(
      formatTable(
        ['name', 'status', 'message'],
        [
          ['guestbook', 'Synced', 'ok'],
          ['a', 'OutOfSync', ''],
        ],
      ),
      'NAME       STATUS     MESSAGE\nguestbook  Synced     ok\na          OutOfSync\n',
    );
  });
  it('prints empty cells for undefined and keeps rows on one line', () => {
    assert.equal(formatTable(undefined, [[undefined, 'a\nb', 3]]), '  a b  3\n');
  });
  it('aligns key: value fields', () => {
    assert.equal(
      formatFields([
        ['Name', 'x'],
        ['Health Status', 'Healthy'],
      ]),
      'Name:          x\nHealth Status: Healthy\n',
    );
  });
});

describe('StreamingTable', () => {
  it('prints the header once and pads later batches to the widths seen so far', () => {
    const t = new StreamingTable(['group', 'kind', 'message']);
    assert.equal(
      t.rows([['', 'ConfigMap', 'a']]),
      'GROUP  KIND       MESSAGE\n       ConfigMap  a\n',
    );
    assert.equal(t.rows([['', 'Pod', 'b']]), '       Pod        b\n');
  });
  it('widens a column when a later cell is wider, and keeps the wider width after that', () => {
    const t = new StreamingTable(['group', 'kind', 'message']);
    t.rows([['', 'Pod', 'a']]);
    assert.equal(t.rows([['apps.example', 'Pod', 'c']]), 'apps.example  Pod   c\n');
    assert.equal(t.rows([['', 'Pod', 'd\ne']]), '              Pod   d e\n');
  });
  it('prints only the header for an empty first batch, and nothing after that', () => {
    const t = new StreamingTable(['kind']);
    assert.equal(t.rows([]), 'KIND\n');
    assert.equal(t.rows([]), '');
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n'), '');
  });
  it('prints headers and a hunk with three lines of context', () => {
    const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\n';
    const b = 'l1\nl2\nl3\nL4\nl5\nl6\nl7\n';
    assert.equal(
      unifiedDiff(a, b, { oldLabel: 'x-live.yaml', newLabel: 'x.yaml' }),
      '--- x-live.yaml\n+++ x.yaml\n@@ -1,7 +1,7 @@\n l1\n l2\n l3\n-l4\n+L4\n l5\n l6\n l7\n',
    );
  });
  it('diffs against nothing (an object that does not exist on one side)', () => {
    assert.equal(unifiedDiff('', 'a\n'), '--- a\n+++ b\n@@ -0,0 +1,1 @@\n+a\n');
    assert.equal(unifiedDiff('a\n', ''), '--- a\n+++ b\n@@ -1,1 +0,0 @@\n-a\n');
  });
  it('produces patches that turn the old text into the new one (generated cases)', () => {
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let t = 0; t < 300; t++) {
      const a = Array.from({ length: Math.floor(rnd() * 40) }, () =>
        'abcdef'.charAt(Math.floor(rnd() * 6)),
      );
      const b = a
        .filter(() => rnd() > 0.15)
        .flatMap((x) => (rnd() > 0.85 ? [x, 'abcdefg'.charAt(Math.floor(rnd() * 7))] : [x]));
      const A = a.map((x) => `${x}\n`).join('');
      const B = b.map((x) => `${x}\n`).join('');
      const edits = diffLines(a, b);
      assert.deepEqual(
        edits.filter((e) => e.op !== '+').map((e) => e.line),
        a,
      );
      assert.deepEqual(
        edits.filter((e) => e.op !== '-').map((e) => e.line),
        b,
      );
      const p = unifiedDiff(A, B);
      if (A === B) assert.equal(p, '');
      else assert.equal(applyPatch(A, p), B, `case ${t}:\n${p}`);
    }
  });
});

describe('diff YAML', () => {
  it('sorts keys recursively and keeps list order', () => {
    assert.deepEqual(
      JSON.stringify(sortKeys({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 2 } })),
      '{"a":{"c":2,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    assert.equal(toDiffYaml(undefined), '');
    assert.equal(toDiffYaml({ b: 1, a: 2 }), 'a: 2\nb: 1\n');
  });
});

describe('output formats', () => {
  it('accepts the listed formats, defaults to the first, refuses others as usage errors', () => {
    assert.equal(parseOutputFormat(undefined, ['table', 'json'] as const), 'table');
    assert.equal(parseOutputFormat('JSON', ['table', 'json'] as const), 'json');
    assert.throws(
      () => parseOutputFormat('xml', ['table', 'json'] as const),
      /unknown output format "xml": use one of table, json/,
    );
  });
  it('indents JSON by two spaces', () => {
    assert.equal(toJson({ a: 1 }), '{\n  "a": 1\n}\n');
  });
});
