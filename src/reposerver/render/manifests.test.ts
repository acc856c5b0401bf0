import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import { DEFAULT_MANIFEST_LIMITS, parseJsonManifest, parseYamlManifests } from './manifests.js';

const limits = DEFAULT_MANIFEST_LIMITS;

describe('parseYamlManifests', () => {
  it('reads a multi-document stream and skips empty and comment-only documents', () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: a}',
      '---',
      '# nothing here',
      '---',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: b}',
    ].join('\n');
    const objs = parseYamlManifests(text, 'x.yaml', limits);
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['ConfigMap', 'Service'],
    );
  });

  it('reads YAML 1.1 scalars as kubectl does (octal modes, yes/no) but keeps dates as strings', () => {
    const obj = parseYamlManifests(
      'apiVersion: v1\nkind: X\nmode: 0644\nflag: yes\ndate: 2024-01-02\n',
      'x.yaml',
      limits,
    )[0];
    assert.ok(obj);
    assert.equal(obj.mode, 420);
    assert.equal(obj.flag, true);
    assert.equal(obj.date, '2024-01-02');
  });

  it('flattens List kinds into their items', () => {
    const text =
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n';
    const objs = parseYamlManifests(text, 'list.yaml', limits);
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['ConfigMap', 'Secret'],
    );
  });

  const failures: { name: string; text: string; code: string; mentions: RegExp }[] = [
    {
      name: 'a document that is not a Kubernetes object',
      text: 'foo: bar\n',
      code: 'ERR_MANIFEST_PARSE',
      mentions: /apiVersion and kind are required/,
    },
    {
      name: 'a scalar document',
      text: 'just text\n',
      code: 'ERR_MANIFEST_PARSE',
      mentions: /expected a Kubernetes object/,
    },
    {
      name: 'duplicate keys',
      text: 'apiVersion: v1\nkind: A\nkind: B\n',
      code: 'ERR_MANIFEST_PARSE',
      mentions: /unique|duplicate/i,
    },
    {
      name: 'invalid YAML',
      text: 'apiVersion: v1\nkind: [\n',
      code: 'ERR_MANIFEST_PARSE',
      mentions: /x\.yaml/,
    },
    {
      name: 'a List item without kind',
      text: 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1}\n',
      code: 'ERR_MANIFEST_PARSE',
      mentions: /item 1/,
    },
  ];
  for (const f of failures) {
    it(`refuses ${f.name}`, () => {
      assert.throws(
        () => parseYamlManifests(f.text, 'x.yaml', limits),
        (err: unknown) =>
          isRepoServerError(err, f.code as 'ERR_MANIFEST_PARSE') && f.mentions.test(err.message),
      );
    });
  }

  it('stops a YAML alias bomb fast with a clear error', () => {
    const rows = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ];
    const names = 'abcdefghij';
    for (let i = 1; i < names.length; i++) {
      const prev = names[i - 1] ?? 'a';
      rows.push(`${names[i] ?? 'z'}: &${names[i] ?? 'z'} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const t0 = process.hrtime.bigint();
    assert.throws(
      () => parseYamlManifests(rows.join('\n'), 'bomb.yaml', limits),
      (err: unknown) => isRepoServerError(err, 'ERR_MANIFEST_PARSE') && /alias/.test(err.message),
    );
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // a billion-laughs expansion would take minutes and gigabytes; the guard trips in milliseconds
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  it('refuses a document over the per-document size limit before parsing it', () => {
    const big = `apiVersion: v1\nkind: ConfigMap\ndata:\n  x: "${'a'.repeat(2000)}"\n`;
    const small = 'apiVersion: v1\nkind: ConfigMap\n';
    assert.throws(
      () =>
        parseYamlManifests(`${small}---\n${big}`, 'big.yaml', {
          ...limits,
          maxDocumentBytes: 1000,
        }),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_MANIFEST_TOO_LARGE') && /document 2/.test(err.message),
    );
    assert.equal(
      parseYamlManifests(`${small}---\n${small}`, 'ok.yaml', { ...limits, maxDocumentBytes: 1000 })
        .length,
      2,
    );
  });

  it('refuses absurdly deep nesting without crashing', () => {
    const deep = `apiVersion: v1\nkind: X\nspec: ${'['.repeat(100000)}${']'.repeat(100000)}\n`;
    assert.throws(
      () => parseYamlManifests(deep, 'deep.yaml', limits),
      (err: unknown) => isRepoServerError(err, 'ERR_MANIFEST_PARSE'),
    );
  });
});

describe('parseJsonManifest', () => {
  it('reads one object and flattens a List', () => {
    assert.equal(
      parseJsonManifest('{"apiVersion":"v1","kind":"ConfigMap"}', 'a.json', limits).length,
      1,
    );
    const list =
      '{"apiVersion":"v1","kind":"ConfigMapList","items":[{"apiVersion":"v1","kind":"ConfigMap"},{"apiVersion":"v1","kind":"ConfigMap"}]}';
    assert.equal(parseJsonManifest(list, 'l.json', limits).length, 2);
  });

  it('refuses invalid JSON, non-objects and oversized files', () => {
    assert.throws(
      () => parseJsonManifest('{', 'a.json', limits),
      (e: unknown) => isRepoServerError(e, 'ERR_MANIFEST_PARSE'),
    );
    assert.throws(
      () => parseJsonManifest('[1]', 'a.json', limits),
      (e: unknown) => isRepoServerError(e, 'ERR_MANIFEST_PARSE'),
    );
    assert.throws(
      () =>
        parseJsonManifest(`{"apiVersion":"v1","kind":"A","x":"${'a'.repeat(200)}"}`, 'a.json', {
          ...limits,
          maxDocumentBytes: 100,
        }),
      (e: unknown) => isRepoServerError(e, 'ERR_MANIFEST_TOO_LARGE'),
    );
  });
});
