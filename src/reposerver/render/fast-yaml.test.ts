import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { fastParseYamlDocuments } from './fast-yaml.js';
import { parseYamlDocumentsFull } from './manifests.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The full parser's documents without the empty ones (what manifests are made of). */
function full(text: string): unknown[] {
  return parseYamlDocumentsFull(text, 'x', 100).filter((d) => d !== null);
}

/** Asserts the fast path either declines or agrees with the full parser; returns whether it answered. */
function agrees(text: string): boolean {
  const fast = fastParseYamlDocuments(text);
  if (fast === undefined) return false;
  assert.deepEqual(
    fast.filter((d) => d !== null),
    full(text),
    `fast path disagrees on:\n${text}`,
  );
  return true;
}

describe('fastParseYamlDocuments', () => {
  const answered: { name: string; text: string }[] = [
    {
      name: 'kustomize-style output with compact sequences',
      text: `apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app.kubernetes.io/name: web
    env: prod
  name: prod-web
spec:
  replicas: 3
  template:
    spec:
      containers:
      - args:
        - --port=8080
        - -v
        env:
        - name: MODE
          value: production
        image: registry.example/app:1.25
        name: web
        ports:
        - containerPort: 8080
          protocol: TCP
        resources: {}
      volumes: []
status: {}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
    targetPort: 8080
`,
    },
    {
      name: 'indented sequences, comments and an empty document',
      text: `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg   
  annotations:
    # a note
    example.com/url: https://example.com/a?b=c
data:
  list:
    - a
    - b
---
# nothing
`,
    },
    {
      name: 'quoted scalars and keys',
      text: `apiVersion: v1
kind: ConfigMap
metadata:
  name: "quoted"
data:
  "key with space": 'it''s'
  word: "yes"
  mode: "0644"
  unicode: "caf\\u00e9 \\"x\\" \\\\ \\n"
  empty: ""
  nothing:
  tilde: ~
`,
    },
    {
      name: 'literal block scalars with every chomping mode',
      text: `apiVersion: v1
kind: ConfigMap
data:
  clip: |
    line 1

      indented
    line 3

  strip: |-
    a
    b


  keep: |+
    x

  last: done
  list:
  - |
    in a sequence
  - plain
`,
    },
    { name: 'a negative and a zero integer', text: 'a: -12\nb: 0\nc: 9007199254740991\n' },
    { name: 'a keep-chomped block at the end of the stream', text: 'a: |+\n  x\n\n\n' },
    { name: 'a keep-chomped block before a document marker', text: 'a: |+\n  x\n\n---\nb: 1\n' },
    { name: 'CRLF line breaks', text: 'a: |\r\n  x\r\n  y\r\nb: c\r\n' },
    { name: 'unicode text', text: 'a: "😀 é"\nb: ünï\n' },
    {
      name: 'Kubernetes quantities and flags',
      text: 'cpu: 100m\nmemory: 128Mi\nargs:\n- --port=8080\n- -v\n',
    },
    { name: 'a sequence of maps at the root', text: '- a: 1\n  b: 2\n- c: 3\n' },
  ];
  for (const c of answered) {
    it(`answers as the full parser for ${c.name}`, () => {
      assert.equal(agrees(c.text), true, 'the fast path should handle this input');
    });
  }

  const declined: { name: string; text: string }[] = [
    { name: 'anchors and aliases', text: 'a: &x 1\nb: *x\n' },
    { name: 'tags', text: 'a: !!str 1\n' },
    { name: 'flow collections', text: 'a: [1, 2]\nb: {c: d}\n' },
    { name: 'folded scalars', text: 'a: >\n  x\n  y\n' },
    { name: 'YAML 1.1 booleans', text: 'a: on\nb: Yes\n' },
    { name: 'ambiguous keys', text: 'on: 1\n' },
    { name: 'octal numbers', text: 'mode: 0644\n' },
    { name: 'floats', text: 'a: 1.5\nb: .5\n' },
    { name: 'hex and sexagesimal numbers', text: 'a: 0x1F\nb: 1:20\n' },
    { name: 'a null word', text: 'a: NULL\n' },
    { name: 'negative zero', text: 'a: -0\n' },
    { name: 'integers beyond 2^53', text: 'a: 9007199254740993\n' },
    { name: 'trailing comments', text: 'a: b # c\n' },
    { name: 'multi-line plain scalars', text: 'a: b\n  c\n' },
    { name: 'tabs', text: 'a:\tb\n' },
    { name: 'directives', text: '%YAML 1.1\n---\na: 1\n' },
    { name: 'duplicate keys', text: 'a: 1\na: 2\n' },
    { name: 'merge keys', text: 'a:\n  <<: {b: 1}\n' },
    { name: 'complex keys', text: '? a\n: b\n' },
    { name: 'a document marker with content', text: '--- a: 1\n' },
    { name: 'an explicit block indentation indicator', text: 'a: |2\n    x\n' },
    { name: 'a mapping value on a sequence dash line', text: '- - a\n' },
    { name: 'an over-indented leading blank line in a block', text: 'a: |\n      \n  x\n' },
    { name: 'a proto key', text: '__proto__: 1\n' },
  ];
  for (const c of declined) {
    it(`leaves ${c.name} to the full parser`, () => {
      assert.equal(fastParseYamlDocuments(c.text), undefined);
    });
  }

  it('agrees with the full parser on every YAML file of the repository', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(name)) files.push(p);
      }
    };
    for (const d of ['manifests', 'src', 'test']) walk(join(repoRoot, d));
    assert.ok(files.length > 5);
    let answeredCount = 0;
    for (const f of files) if (agrees(readFileSync(f, 'utf8'))) answeredCount++;
    assert.ok(answeredCount > 0, 'the fast path answered for some repository file');
  });

  it('agrees with the full parser on generated documents in several styles', () => {
    // a small deterministic generator (mulberry32) so failures reproduce
    let seed = 0x5eed1234;
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const words = [
      'web',
      'nginx:1.25',
      'a b',
      "it's",
      'yes',
      'no',
      'on',
      'off',
      'null',
      '~',
      '',
      '0644',
      '1.5',
      '-1',
      '12',
      '0',
      'true',
      'x: y',
      'a #b',
      '#c',
      '- d',
      'http://e.f/g?h=i',
      'multi\nline',
      'tab\there',
      'trail ',
      ' lead',
      'ü',
      '"q"',
      "'s'",
      '{x}',
      '[y]',
      '&z',
      '*w',
      '!v',
      '%u',
      '@t',
      '`s`',
      '.5',
      '.inf',
    ];
    const keys = [
      'name',
      'image',
      'app.kubernetes.io/name',
      'yes',
      'on',
      '1',
      'a b',
      'x:y',
      'env',
      'ports',
    ];
    const gen = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.35) {
        const s = rand();
        if (s < 0.15) return Math.floor(rand() * 2000) - 1000;
        if (s < 0.2) return null;
        if (s < 0.25) return rand() < 0.5;
        return pick(words);
      }
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--) o[pick(keys)] = gen(depth + 1);
      return o;
    };
    let answeredCount = 0;
    const total = 600;
    for (let i = 0; i < total; i++) {
      const docs = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
        apiVersion: 'v1',
        kind: 'X',
        spec: gen(0),
      }));
      const options = pick([
        {},
        { indentSeq: false },
        { lineWidth: 20 },
        { defaultStringType: 'QUOTE_DOUBLE' as const },
        { defaultStringType: 'QUOTE_SINGLE' as const },
        { blockQuote: 'literal' as const },
      ]);
      const text = docs.map((d) => stringify(d, { version: '1.1', ...options })).join('---\n');
      if (agrees(text)) answeredCount++;
    }
    // the check means something only if the fast path answers for a good share of inputs
    assert.ok(answeredCount > total * 0.2, `fast path answered ${answeredCount} of ${total}`);
  });
});
