import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError, type Application } from '../../apis/index.js';
import { ApiError } from '../errors.js';
import {
  buildRollbackOperation,
  buildSyncOperation,
  operationInProgress,
  parseRollbackRequest,
  parseSyncRequest,
} from './operation.js';

const app: Application = {
  metadata: { name: 'web' },
  spec: {
    project: 'default',
    source: { repoURL: 'https://git.example/r.git', path: 'web', targetRevision: 'main' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
    syncPolicy: { syncOptions: ['CreateNamespace=true'], retry: { limit: 2 } },
  },
  status: {
    history: [
      {
        id: 3,
        revision: 'a'.repeat(40),
        deployedAt: '2024-01-01T00:00:00Z',
        source: { repoURL: 'https://git.example/r.git', path: 'web', targetRevision: 'v1' },
      },
    ],
  },
};

describe('sync requests', () => {
  it('accepts the body the web UI sends (nulls included)', () => {
    const req = parseSyncRequest({
      appNamespace: 'argocd',
      revision: 'HEAD',
      prune: false,
      dryRun: false,
      strategy: { hook: { force: false } },
      resources: null,
      syncOptions: null,
    });
    const op = buildSyncOperation(app, req, { revision: 'b'.repeat(40) }, 'admin');
    assert.deepEqual(op, {
      sync: {
        revision: 'b'.repeat(40),
        syncStrategy: { hook: { force: false } },
        syncOptions: ['CreateNamespace=true'],
      },
      initiatedBy: { username: 'admin' },
      retry: { limit: 2 },
    });
  });

  it('carries prune, dry run, resources, options and retry of the request', () => {
    const req = parseSyncRequest({
      prune: true,
      dryRun: true,
      strategy: { apply: { force: true } },
      resources: [{ group: 'apps', kind: 'Deployment', name: 'web', namespace: 'web' }],
      syncOptions: { items: ['Prune=false'] },
      retryStrategy: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '1m' } },
    });
    const op = buildSyncOperation(app, req, { revision: 'c'.repeat(40) }, 'alice');
    assert.deepEqual(op.sync?.resources, [
      { group: 'apps', kind: 'Deployment', name: 'web', namespace: 'web' },
    ]);
    assert.equal(op.sync.prune, true);
    assert.equal(op.sync.dryRun, true);
    assert.deepEqual(op.sync.syncStrategy, { apply: { force: true } });
    assert.deepEqual(op.sync.syncOptions, ['Prune=false']);
    assert.deepEqual(op.retry, {
      limit: 5,
      backoff: { duration: '5s', factor: 2, maxDuration: '1m' },
    });
    assert.deepEqual(op.initiatedBy, { username: 'alice' });
  });

  it('refuses malformed bodies naming the field', () => {
    assert.throws(
      () => parseSyncRequest({ prune: 'yes' }),
      (e: unknown) => e instanceof ValidationError && /prune/.test(e.message),
    );
  });

  it('knows when an operation is in progress', () => {
    assert.equal(operationInProgress(app), false);
    assert.equal(operationInProgress({ ...app, operation: { sync: {} } }), true);
    assert.equal(
      operationInProgress({
        ...app,
        status: { operationState: { operation: {}, phase: 'Running', startedAt: 'x' } },
      }),
      true,
    );
  });
});

describe('rollback requests', () => {
  it('re-syncs the revision and source of a history entry with the apply strategy', () => {
    const op = buildRollbackOperation(app, parseRollbackRequest({ id: 3, prune: true }), 'admin');
    assert.deepEqual(op.sync, {
      syncStrategy: { apply: { force: false } },
      revision: 'a'.repeat(40),
      source: { repoURL: 'https://git.example/r.git', path: 'web', targetRevision: 'v1' },
      prune: true,
      syncOptions: ['CreateNamespace=true'],
    });
  });

  it('accepts the id as a string (int64 in JSON)', () => {
    assert.equal(
      buildRollbackOperation(app, parseRollbackRequest({ id: '3' }), 'a').sync?.revision,
      'a'.repeat(40),
    );
  });

  it('refuses an unknown id and an app with automated sync', () => {
    assert.throws(
      () => buildRollbackOperation(app, parseRollbackRequest({ id: 9 }), 'a'),
      (e: unknown) => e instanceof ApiError && e.code === 'ERR_API_INVALID_ARGUMENT',
    );
    const auto = { ...app, spec: { ...app.spec, syncPolicy: { automated: { prune: true } } } };
    assert.throws(
      () => buildRollbackOperation(auto, parseRollbackRequest({ id: 3 }), 'a'),
      (e: unknown) => e instanceof ApiError && e.code === 'ERR_API_FAILED_PRECONDITION',
    );
  });
});
