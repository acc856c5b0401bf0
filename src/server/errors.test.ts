import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, INVALID_LOGIN_MESSAGE } from '../auth/index.js';
import { ValidationError } from '../apis/index.js';
import { KubeApiError } from '../kube/index.js';
import { RbacDeniedError, RbacRequestError } from '../rbac/index.js';
import { ApiError, errorBody, httpStatusFromGrpc, mapError } from './index.js';

describe('mapError', () => {
  const cases = [
    {
      name: 'ApiError not found',
      err: new ApiError('ERR_API_NOT_FOUND', 'failed to get project: x'),
      status: 404,
      code: 5,
    },
    {
      name: 'ApiError conflict',
      err: new ApiError('ERR_API_CONFLICT', 'failed to update: changed'),
      status: 409,
      code: 10,
    },
    {
      name: 'ApiError unimplemented',
      err: new ApiError('ERR_API_UNIMPLEMENTED', 'failed: not supported'),
      status: 501,
      code: 12,
    },
    {
      name: 'uniform login error',
      err: new AuthError('ERR_AUTH_INVALID_CREDENTIALS', INVALID_LOGIN_MESSAGE),
      status: 401,
      code: 16,
    },
    {
      name: 'expired token',
      err: new AuthError('ERR_AUTH_TOKEN_EXPIRED', 'failed to verify token: the token has expired'),
      status: 401,
      code: 16,
    },
    {
      name: 'project scope',
      err: new AuthError('ERR_AUTH_PROJECT_SCOPE', 'failed to authorize token'),
      status: 403,
      code: 7,
    },
    {
      name: 'token id taken',
      err: new AuthError('ERR_AUTH_TOKEN_EXISTS', 'failed to create token'),
      status: 409,
      code: 6,
    },
    {
      name: 'RBAC denial',
      err: new RbacDeniedError('permission denied: projects, get, x, sub: bob'),
      status: 403,
      code: 7,
    },
    {
      name: 'bad can-i request',
      err: new RbacRequestError('failed to check permission: bad'),
      status: 400,
      code: 3,
    },
    {
      name: 'validation',
      err: new ValidationError('AppProject', [{ field: 'spec', message: 'is required' }]),
      status: 400,
      code: 3,
    },
    {
      name: 'kube not found',
      err: new KubeApiError('ERR_KUBE_NOT_FOUND', 404, 'secrets "x" not found'),
      status: 404,
      code: 5,
    },
    {
      name: 'kube conflict',
      err: new KubeApiError('ERR_KUBE_CONFLICT', 409, 'conflict', 'Conflict'),
      status: 409,
      code: 10,
    },
    {
      name: 'kube already exists',
      err: new KubeApiError('ERR_KUBE_CONFLICT', 409, 'exists', 'AlreadyExists'),
      status: 409,
      code: 6,
    },
  ];
  for (const c of cases) {
    it(`maps ${c.name} to ${c.status} with gRPC code ${c.code}`, () => {
      const m = mapError(c.err);
      assert.equal(m.status, c.status);
      assert.equal(m.grpcCode, c.code);
      assert.equal(m.logId, undefined);
      assert.deepEqual(errorBody(m), {
        error: c.err.message,
        code: c.code,
        message: c.err.message,
      });
    });
  }

  it('turns unknown errors into "internal error (logId=...)" without their detail', () => {
    const m = mapError(new Error('ECONNRESET at db.internal:5432 password=hunter2'));
    assert.equal(m.status, 500);
    assert.equal(m.grpcCode, 13);
    assert.match(m.message, /^internal error \(logId=[0-9a-f]{12}\)$/);
    assert.ok(m.logId !== undefined && m.message.includes(m.logId));
    assert.doesNotMatch(m.message, /hunter2|ECONNRESET/);
  });

  it("hides the server's own Kubernetes authorisation failures as internal errors", () => {
    const m = mapError(
      new KubeApiError(
        'ERR_KUBE_FORBIDDEN',
        403,
        'secrets is forbidden: User "system:serviceaccount:argocd:argocd-server"',
      ),
    );
    assert.equal(m.status, 500);
    assert.doesNotMatch(m.message, /serviceaccount/);
  });

  it('redacts credentials and URL query strings from every message it sends', () => {
    const m = mapError(
      new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to clone https://bob:hunter2@git.example/x.git?token=abcdefgh: bearer abcdefghijkl',
      ),
    );
    assert.doesNotMatch(m.message, /hunter2|abcdefgh/);
    assert.match(m.message, /git\.example\/x\.git/);
  });

  it("answers grpc-gateway's HTTP status for each gRPC code", () => {
    const want: Record<number, number> = {
      0: 200,
      1: 499,
      3: 400,
      4: 504,
      5: 404,
      6: 409,
      7: 403,
      8: 429,
      9: 400,
      10: 409,
      12: 501,
      13: 500,
      14: 503,
      16: 401,
    };
    for (const [code, status] of Object.entries(want))
      assert.equal(httpStatusFromGrpc(Number(code) as 0), status, `code ${code}`);
  });
});
