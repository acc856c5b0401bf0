import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncWindow } from '../../apis/index.js';
import {
  canSync,
  syncWindowsOf,
  windowActive,
  windowMatches,
  zoneOffsetMs,
} from './sync-windows.js';

const app = {
  metadata: { name: 'web' },
  spec: {
    project: 'p',
    destination: { server: 'https://kubernetes.default.svc', namespace: 'prod' },
  },
};
// 2024-03-05 10:30 UTC (a Tuesday)
const now = Date.parse('2024-03-05T10:30:00Z');
const nine = (kind: 'allow' | 'deny', extra: Partial<SyncWindow> = {}): SyncWindow => ({
  kind,
  schedule: '0 9 * * *',
  duration: '2h',
  applications: ['*'],
  ...extra,
});
const midnight = (kind: 'allow' | 'deny', extra: Partial<SyncWindow> = {}): SyncWindow => ({
  kind,
  schedule: '0 0 * * *',
  duration: '1h',
  applications: ['*'],
  ...extra,
});

describe('sync windows', () => {
  it('matches by application, cluster or namespace globs', () => {
    assert.equal(windowMatches({ applications: ['w*'] }, app), true);
    assert.equal(windowMatches({ applications: ['api'] }, app), false);
    assert.equal(windowMatches({ clusters: ['https://kubernetes.*'] }, app), true);
    assert.equal(windowMatches({ namespaces: ['prod'] }, app), true);
    assert.equal(windowMatches({}, app), false);
  });

  it('with andOperator, every list that is set must match', () => {
    assert.equal(
      windowMatches({ applications: ['web'], namespaces: ['dev'], andOperator: true }, app),
      false,
    );
    assert.equal(
      windowMatches({ applications: ['web'], namespaces: ['prod'], andOperator: true }, app),
      true,
    );
  });

  it('is active within duration after the schedule fires', () => {
    assert.equal(windowActive(nine('allow'), now), true);
    assert.equal(windowActive(midnight('allow'), now), false);
    assert.equal(windowActive({ ...nine('allow'), duration: '1h' }, now), false);
  });

  it('evaluates the schedule in the window time zone', () => {
    // 10:30 UTC is 11:30 in Berlin (CET) and 05:30 in New York (EST)
    assert.equal(zoneOffsetMs('Europe/Berlin', now), 3_600_000);
    assert.equal(
      windowActive(
        { ...nine('allow'), schedule: '0 11 * * *', duration: '1h', timeZone: 'Europe/Berlin' },
        now,
      ),
      true,
    );
    assert.equal(
      windowActive({ ...nine('allow'), schedule: '0 11 * * *', duration: '1h' }, now),
      false,
    );
    assert.equal(zoneOffsetMs('Not/AZone', now), 0);
  });

  const cases: { name: string; windows: SyncWindow[]; manual: boolean; want: boolean }[] = [
    { name: 'no windows', windows: [], manual: false, want: true },
    { name: 'active allow', windows: [nine('allow')], manual: false, want: true },
    { name: 'inactive allow blocks', windows: [midnight('allow')], manual: true, want: false },
    {
      name: 'inactive allow with manualSync lets manual through',
      windows: [midnight('allow', { manualSync: true })],
      manual: true,
      want: true,
    },
    {
      name: 'inactive allow with manualSync still blocks automated',
      windows: [midnight('allow', { manualSync: true })],
      manual: false,
      want: false,
    },
    { name: 'active deny blocks', windows: [nine('deny')], manual: true, want: false },
    {
      name: 'active deny with manualSync lets manual through',
      windows: [nine('deny', { manualSync: true })],
      manual: true,
      want: true,
    },
    {
      name: 'deny wins over allow',
      windows: [nine('deny'), nine('allow')],
      manual: true,
      want: false,
    },
    {
      name: 'inactive deny does not block',
      windows: [midnight('deny')],
      manual: false,
      want: true,
    },
    {
      name: 'an invalid deny window fails closed',
      windows: [{ kind: 'deny', schedule: 'bad', duration: '1h' }],
      manual: true,
      want: false,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(canSync(c.windows, now, c.manual), c.want);
    });

  it('reports assigned and active windows of the app', () => {
    const v = syncWindowsOf(
      [nine('deny'), midnight('allow'), { ...nine('allow'), applications: ['other'] }],
      app,
      now,
    );
    assert.equal(v.assignedWindows.length, 2);
    assert.deepEqual(v.activeWindows, [
      { kind: 'deny', schedule: '0 9 * * *', duration: '2h', manualSync: false },
    ]);
    assert.equal(v.canSync, false);
  });
});
