import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Application, ResourceStatus } from '../apis/index.js';
import {
  DEFAULT_SELF_HEAL_BACKOFF,
  decideAutoSync,
  retryDelayMs,
  selfHealDelayMs,
  type AutoSyncDecision,
} from './index.js';

/** Narrows a decision to the expected action (fails the test otherwise). */
function expectAction<K extends AutoSyncDecision['action']>(
  d: AutoSyncDecision,
  k: K,
): Extract<AutoSyncDecision, { action: K }> {
  if (d.action !== k) assert.fail(`expected ${k}, got ${d.action}`);
  return d as Extract<AutoSyncDecision, { action: K }>;
}

const SHA = 'a'.repeat(40);
const source = { repoURL: 'https://git.example/apps', path: 'guestbook' };

function app(
  overrides: Partial<Application> & { automated?: Record<string, boolean> } = {},
): Application {
  const { automated, ...rest } = overrides;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'argocd' },
    spec: {
      project: 'default',
      source,
      destination: { server: 'https://kubernetes.default.svc', namespace: 'apps' },
      syncPolicy: { automated: automated ?? { prune: true } },
    },
    ...rest,
  };
}

const outOfSync: ResourceStatus[] = [
  { kind: 'ConfigMap', name: 'a', namespace: 'apps', status: 'OutOfSync' },
  { kind: 'ConfigMap', name: 'b', namespace: 'apps', status: 'Synced' },
];
const input = (a: Application, resources = outOfSync, now = 1_000_000) => ({
  app: a,
  syncStatus: 'OutOfSync',
  revision: SHA,
  resources,
  now,
  selfHeal: DEFAULT_SELF_HEAL_BACKOFF,
});

function succeeded(finishedAt: string, attempts = 0): NonNullable<Application['status']> {
  return {
    operationState: {
      operation: { sync: { revision: SHA, autoHealAttemptsCount: attempts } },
      phase: 'Succeeded',
      startedAt: finishedAt,
      finishedAt,
      syncResult: { revision: SHA, source },
    },
  };
}

describe('decideAutoSync', () => {
  it('syncs an OutOfSync app to the compared revision as "automated"', () => {
    const d = expectAction(decideAutoSync(input(app())), 'sync');
    assert.equal(d.operation.sync?.revision, SHA);
    assert.equal(d.operation.sync.prune, true);
    assert.deepEqual(d.operation.initiatedBy, { automated: true });
  });

  it('does nothing when automated sync is off, disabled, or an operation runs', () => {
    const manual = app();
    manual.spec.syncPolicy = {};
    assert.equal(decideAutoSync(input(manual)).action, 'none');
    assert.equal(decideAutoSync(input(app({ automated: { enabled: false } }))).action, 'none');
    assert.equal(decideAutoSync(input(app({ operation: { sync: {} } }))).action, 'none');
  });

  it('skips a prune-only sync when prune is off', () => {
    const d = decideAutoSync(
      input(app({ automated: {} }), [
        { kind: 'ConfigMap', name: 'x', status: 'OutOfSync', requiresPruning: true },
      ]),
    );
    assert.equal(d.action, 'none');
  });

  it('refuses a sync that would delete everything unless allowEmpty', () => {
    const all = [{ kind: 'ConfigMap', name: 'x', status: 'OutOfSync', requiresPruning: true }];
    const d = expectAction(
      decideAutoSync(input(app({ automated: { prune: true } }), all)),
      'refuse',
    );
    assert.match(d.message, /auto-sync will wipe out all resources/);
    assert.equal(
      decideAutoSync(input(app({ automated: { prune: true, allowEmpty: true } }), all)).action,
      'sync',
    );
  });

  it('never syncs the same revision twice without selfHeal', () => {
    const d = decideAutoSync(input(app({ status: succeeded(new Date(0).toISOString()) })));
    assert.equal(d.action, 'none');
  });

  it('reports a failed earlier attempt of the same revision as a refusal', () => {
    const st = succeeded(new Date(0).toISOString());
    if (st.operationState)
      st.operationState = { ...st.operationState, phase: 'Failed', message: 'boom' };
    const d = expectAction(decideAutoSync(input(app({ status: st }))), 'refuse');
    assert.match(d.message, /Failed sync attempt to a+: boom/);
  });

  it('self-heals after the backoff, syncing only the out-of-sync resources', () => {
    const finished = 1_000_000;
    const a = app({
      automated: { prune: true, selfHeal: true },
      status: succeeded(new Date(finished).toISOString(), 1),
    });
    const early = expectAction(decideAutoSync(input(a, outOfSync, finished + 1000)), 'wait');
    assert.equal(early.delayMs, 5000, '2 s × 3¹ after one attempt');
    const d = expectAction(decideAutoSync(input(a, outOfSync, finished + 6000)), 'sync');
    assert.equal(d.operation.sync?.autoHealAttemptsCount, 2);
    assert.deepEqual(d.operation.sync.resources, [
      { kind: 'ConfigMap', name: 'a', namespace: 'apps' },
    ]);
  });

  it('caps the self-heal backoff', () => {
    assert.equal(selfHealDelayMs(DEFAULT_SELF_HEAL_BACKOFF, 0), 2000);
    assert.equal(selfHealDelayMs(DEFAULT_SELF_HEAL_BACKOFF, 2), 18000);
    assert.equal(selfHealDelayMs(DEFAULT_SELF_HEAL_BACKOFF, 10), 300_000);
  });
});

describe('retryDelayMs', () => {
  it('grows by the factor up to maxDuration and stops at the limit', () => {
    const r = { limit: 3, backoff: { duration: '1s', factor: 2, maxDuration: '3s' } };
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => retryDelayMs(r, n)),
      [1000, 2000, 3000, undefined],
    );
    assert.equal(retryDelayMs(undefined, 0), undefined);
    assert.equal(
      retryDelayMs({ limit: -1 }, 50),
      180_000,
      'unlimited, default backoff capped at 3m',
    );
  });
});
