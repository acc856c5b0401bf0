import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apis/index.js';
import { listBuiltinActions, planBuiltinAction, RESTARTED_AT_ANNOTATION } from './actions.js';

const obj = (apiVersion: string, kind: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'ns' },
  spec,
});

const names = (o: KubeObject): string[] =>
  listBuiltinActions(o).map((a) => `${a.name}${a.disabled ? ' (disabled)' : ''}`);

describe('built-in resource actions', () => {
  it('offers restart, and pause or resume by state, on a Deployment', () => {
    assert.deepEqual(names(obj('apps/v1', 'Deployment')), [
      'pause',
      'restart',
      'resume (disabled)',
    ]);
    assert.deepEqual(names(obj('apps/v1', 'Deployment', { paused: true })), [
      'pause (disabled)',
      'restart',
      'resume',
    ]);
  });

  it('offers restart on StatefulSets and DaemonSets, nothing elsewhere', () => {
    assert.deepEqual(names(obj('apps/v1', 'StatefulSet')), ['restart']);
    assert.deepEqual(names(obj('apps/v1', 'DaemonSet')), ['restart']);
    assert.deepEqual(names(obj('v1', 'ConfigMap')), []);
    assert.deepEqual(names(obj('example.com/v1', 'Deployment')), [], 'another group');
  });

  it('restarts by stamping the pod template, in RFC 3339 UTC', () => {
    const plan = planBuiltinAction(
      obj('apps/v1', 'StatefulSet'),
      'restart',
      new Date('2026-12-05T10:11:12.345Z'),
    );
    assert.deepEqual(plan, {
      patch: {
        spec: {
          template: {
            metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-12-05T10:11:12Z' } },
          },
        },
      },
    });
  });

  it('pauses and resumes a Deployment', () => {
    const now = new Date();
    assert.deepEqual(planBuiltinAction(obj('apps/v1', 'Deployment'), 'pause', now), {
      patch: { spec: { paused: true } },
    });
    assert.deepEqual(
      planBuiltinAction(obj('apps/v1', 'Deployment', { paused: true }), 'resume', now),
      { patch: { spec: { paused: null } } },
    );
  });

  it('refuses an unknown action, a disabled one and a kind without actions, saying why', () => {
    const now = new Date();
    const refused = (o: KubeObject, a: string): string => {
      const plan = planBuiltinAction(o, a, now);
      assert.ok('refused' in plan, `${a} should be refused`);
      return plan.refused;
    };
    assert.match(
      refused(obj('apps/v1', 'Deployment'), 'scale'),
      /has no action "scale"; it offers pause, restart, resume/,
    );
    assert.match(
      refused(obj('apps/v1', 'Deployment'), 'resume'),
      /not available for Deployment x .*\(not paused\)/,
    );
    assert.match(
      refused(obj('apps/v1', 'Deployment', { paused: true }), 'pause'),
      /already paused/,
    );
    assert.match(refused(obj('v1', 'ConfigMap'), 'restart'), /ConfigMap x has no actions/);
  });
});
