import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendHistory, isoSeconds, mergeConditions } from './index.js';

describe('mergeConditions', () => {
  it('keeps the transition time of a condition that still holds and stamps new ones', () => {
    const prev = [
      { type: 'SyncError', message: 'boom', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ];
    const out = mergeConditions(
      prev,
      [
        { type: 'SyncError', message: 'boom' },
        { type: 'ComparisonError', message: 'repo down' },
      ],
      '2024-06-01T00:00:00Z',
    );
    assert.deepEqual(out, [
      { type: 'ComparisonError', message: 'repo down', lastTransitionTime: '2024-06-01T00:00:00Z' },
      { type: 'SyncError', message: 'boom', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ]);
    assert.equal(mergeConditions(prev, [], 'x'), undefined);
  });
});

describe('appendHistory', () => {
  it('numbers entries and keeps revisionHistoryLimit (default 10)', () => {
    let status: { history?: ReturnType<typeof appendHistory> } = {};
    for (let i = 0; i < 12; i++)
      status = {
        history: appendHistory(
          status,
          { revision: `r${i}`, deployedAt: isoSeconds(i * 1000) },
          undefined,
        ),
      };
    assert.equal(status.history?.length, 10);
    assert.equal(status.history[0]?.id, 2);
    assert.equal(status.history[9]?.id, 11);
    assert.equal(appendHistory(status, { revision: 'x', deployedAt: 'now' }, 3).length, 3);
  });
});
