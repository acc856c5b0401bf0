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
