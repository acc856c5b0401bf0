import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RECONCILED_AT_MAX_AGE_MS,
  isRequestedRefresh,
  maxRefreshLevel,
  reconciledAtDue,
  repoErrorAction,
  type RefreshLevel,
} from './refresh-policy.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('refresh policy: levels', () => {
  it('raises a waiting refresh, never lowers it', () => {
    assert.equal(maxRefreshLevel('recent', 'periodic'), 'periodic');
    assert.equal(maxRefreshLevel('hard', 'recent'), 'hard');
    assert.equal(maxRefreshLevel('latest', 'periodic'), 'latest');
    assert.equal(maxRefreshLevel('resolve', 'hard'), 'hard');
  });
  it('only the refresh annotation levels are requested refreshes', () => {
    const want: Record<RefreshLevel, boolean> = {
      recent: false,
      periodic: false,
      latest: false,
      resolve: true,
      hard: true,
    };
    for (const [level, requested] of Object.entries(want))
      assert.equal(isRequestedRefresh(level as RefreshLevel), requested, level);
  });
});

describe('refresh policy: reconciledAt', () => {
  const base = {
    nowMs: NOW,
    maxAgeMs: DEFAULT_RECONCILED_AT_MAX_AGE_MS,
    statusChanged: false,
  };
  it('is written when the app has none yet, whatever the level', () => {
    for (const level of ['recent', 'periodic', 'latest', 'resolve', 'hard'] as const)
      assert.equal(reconciledAtDue({ ...base, level, previous: undefined }), true, level);
  });
  it('is never written by a recent (live change) refresh', () => {
    assert.equal(
      reconciledAtDue({ ...base, level: 'recent', previous: ago(3_600_000), statusChanged: true }),
      false,
    );
  });
  it('is always written by an explicit refresh, a spec change or a finished operation', () => {
    for (const level of ['latest', 'resolve', 'hard'] as const)
      assert.equal(reconciledAtDue({ ...base, level, previous: ago(1_000) }), true, level);
  });
  it('a periodic refresh of an unchanged app skips a recent value', () => {
    assert.equal(reconciledAtDue({ ...base, level: 'periodic', previous: ago(60_000) }), false);
    assert.equal(
      reconciledAtDue({
        ...base,
        level: 'periodic',
        previous: ago(DEFAULT_RECONCILED_AT_MAX_AGE_MS - 1_000),
      }),
      false,
    );
  });
  it('a periodic refresh writes a value as old as the bound, or older', () => {
    assert.equal(
      reconciledAtDue({
        ...base,
        level: 'periodic',
        previous: ago(DEFAULT_RECONCILED_AT_MAX_AGE_MS),
      }),
      true,
    );
    assert.equal(reconciledAtDue({ ...base, level: 'periodic', previous: ago(86_400_000) }), true);
  });
  it('a periodic refresh writes it when the status changes anyway', () => {
    assert.equal(
      reconciledAtDue({ ...base, level: 'periodic', previous: ago(1_000), statusChanged: true }),
      true,
    );
  });
  it('a bound of 0 writes it on every periodic refresh (Argo CD)', () => {
    assert.equal(
      reconciledAtDue({ ...base, level: 'periodic', previous: ago(0), maxAgeMs: 0 }),
      true,
    );
  });
  it('an unreadable value is replaced', () => {
    assert.equal(reconciledAtDue({ ...base, level: 'periodic', previous: 'yesterday' }), true);
  });
});

describe('refresh policy: repo server errors', () => {
  const base = { nowMs: NOW, graceMs: 180_000, hasComparison: true };
  it('keeps the last comparison within the grace period of a periodic refresh', () => {
    assert.equal(repoErrorAction({ ...base, level: 'periodic', firstErrorMs: undefined }), 'keep');
    assert.equal(
      repoErrorAction({ ...base, level: 'periodic', firstErrorMs: NOW - 179_999 }),
      'keep',
    );
    assert.equal(repoErrorAction({ ...base, level: 'recent', firstErrorMs: NOW - 10_000 }), 'keep');
  });
  it('reports a ComparisonError once the errors last as long as the grace period', () => {
    assert.equal(
      repoErrorAction({ ...base, level: 'periodic', firstErrorMs: NOW - 180_000 }),
      'report',
    );
  });
  it('reports at once on an explicit refresh', () => {
    for (const level of ['resolve', 'hard'] as const)
      assert.equal(repoErrorAction({ ...base, level, firstErrorMs: undefined }), 'report', level);
  });
  it('reports at once when there is no comparison to keep', () => {
    assert.equal(
      repoErrorAction({
        ...base,
        level: 'periodic',
        firstErrorMs: undefined,
        hasComparison: false,
      }),
      'report',
    );
  });
  it('a grace period of 0 reports at once', () => {
    assert.equal(
      repoErrorAction({ ...base, level: 'periodic', firstErrorMs: undefined, graceMs: 0 }),
      'report',
    );
  });
});
