import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../apis/index.js';
import { approximateSize, compactObject, StringPool } from './index.js';

function fixture(): KubeObject {
  return JSON.parse(
    readFileSync(new URL('./testdata/deployment-live.json', import.meta.url), 'utf8'),
  ) as KubeObject;
}

describe('compactObject', () => {
  it('keeps only the managedFields of configured managers and drops last-applied', () => {
    const obj = compactObject(
      fixture(),
      { keepManagedFieldsOf: new Set(['argocd-controller']), keepLastApplied: false },
      new StringPool(),
    );
    const managers = (obj.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
    assert.deepEqual(managers, ['argocd-controller']);
    assert.equal(
      obj.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      undefined,
    );
    assert.equal(
      obj.metadata.annotations?.['argocd.argoproj.io/tracking-id'],
      'web:apps/Deployment:prod/web',
    );
    assert.deepEqual(obj.spec, fixture().spec, 'the spec is untouched');
  });

  it('keeps last-applied when asked and removes managedFields entirely when no manager matches', () => {
    const obj = compactObject(
      fixture(),
      { keepManagedFieldsOf: new Set(['nobody']), keepLastApplied: true },
      new StringPool(),
    );
    assert.equal(obj.metadata.managedFields, undefined);
    assert.ok(obj.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('makes the stored object smaller', () => {
    const before = approximateSize(fixture());
    const after = approximateSize(
      compactObject(
        fixture(),
        { keepManagedFieldsOf: new Set(), keepLastApplied: false },
        new StringPool(),
      ),
    );
    assert.ok(after < before * 0.7, `compacted ${after} vs ${before}`);
  });
});

describe('StringPool', () => {
  it('returns the first instance of equal strings and stops growing at its bound', () => {
    const pool = new StringPool(2);
    const a = pool.intern(['ab', 'c'].join(''));
    assert.equal(pool.intern('abc'), a);
    pool.intern('x');
    pool.intern('y');
    assert.equal(pool.size, 2);
  });
});

describe('shared managedFields field sets', () => {
  const opts = { keepManagedFieldsOf: new Set(['argocd-controller']), keepLastApplied: false };
  it('stores equal field sets of kept entries once, frozen, and keeps unequal ones apart', () => {
    const pool = new StringPool();
    const a = compactObject(fixture(), opts, pool);
    const b = compactObject(fixture(), opts, pool);
    const fa = (a.metadata.managedFields as { fieldsV1: object }[])[0]?.fieldsV1;
    const fb = (b.metadata.managedFields as { fieldsV1: object }[])[0]?.fieldsV1;
    assert.ok(fa !== undefined);
    assert.equal(fa, fb, 'the same instance');
    assert.ok(Object.isFrozen(fa));
    assert.deepEqual(
      fa,
      (fixture().metadata.managedFields as { fieldsV1: object }[]).find(
        (m) => (m as unknown as { manager: string }).manager === 'argocd-controller',
      )?.fieldsV1,
    );
    assert.equal(pool.fieldSetCount, 1);
    const other = pool.internFieldSet({ 'f:data': { 'f:x': {} } });
    assert.notEqual(other, fa);
    assert.equal(pool.fieldSetCount, 2);
  });

  it('leaves very large field sets per object and stops sharing at the bound', () => {
    const pool = new StringPool(1);
    const big: Record<string, object> = {};
    for (let i = 0; i < 5000; i++) big[`f:key-number-${i}`] = {};
    assert.equal(pool.internFieldSet(big), big);
    assert.equal(pool.fieldSetCount, 0);
    assert.ok(!Object.isFrozen(big));
    const first = pool.internFieldSet({ 'f:a': {} });
    assert.equal(pool.internFieldSet({ 'f:a': {} }), first);
    const second = { 'f:b': {} };
    assert.equal(pool.internFieldSet(second), second, 'full: returned as it is');
    assert.equal(pool.fieldSetCount, 1);
  });
});
