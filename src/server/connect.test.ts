import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toJson } from '@bufbuild/protobuf';
import { StructSchema } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { AuthError } from '../auth/index.js';
import { RbacDeniedError } from '../rbac/index.js';
import { int64Field, rpcQuery, toConnectError, toListFields, toStruct } from './connect.js';
import { ApiError } from './errors.js';
import { silentServerLogger } from './logging.js';
import { QueryParams } from './service.js';

describe('connect helpers', () => {
  it('turns a REST object into a Struct with the same JSON, without undefined members', () => {
    const s = toStruct({ a: 1, b: 'x', c: undefined, d: [true, null, { e: 2 }] });
    assert.deepEqual(toJson(StructSchema, s), { a: 1, b: 'x', d: [true, null, { e: 2 }] });
  });

  it('removes credential fields and last-applied annotations on the way out', () => {
    const s = toJson(
      StructSchema,
      toStruct({
        repo: 'https://git.example/x.git',
        password: 'pw-value',
        config: { bearerToken: 'tok', tlsClientConfig: { keyData: 'key', insecure: false } },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"password":"pw-value"}',
          keep: 'yes',
        },
      }),
    );
    const text = JSON.stringify(s);
    for (const secret of ['pw-value', 'tok', '"key"', 'last-applied'])
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.match(text, /"keep":"yes"/);
  });

  it('refuses to build a Struct from something that is not an object', () => {
    assert.throws(() => toStruct([1, 2]), TypeError);
  });

  it('splits a page into list metadata and items', () => {
    const out = toListFields({ metadata: { continue: 'abc' }, items: [{ name: 'a' }] });
    assert.deepEqual(out, { metadata: { continue: 'abc' }, items: [{ name: 'a' }] });
    assert.deepEqual(toListFields({ items: [] }), { metadata: {}, items: [] });
  });

  it('reads RPC query fields the way the REST query does, zero and empty as absent', () => {
    const q = new QueryParams(
      rpcQuery({ name: 'x', empty: '', limit: 5n, none: 0n, flag: true, off: false }),
    );
    assert.equal(q.get('name'), 'x');
    assert.equal(q.get('empty'), undefined);
    assert.equal(q.int('limit'), 5);
    assert.equal(q.get('none'), undefined);
    assert.equal(q.bool('flag'), true);
    assert.equal(q.bool('off'), undefined);
  });

  it('refuses int64 values beyond 2^53 with InvalidArgument', () => {
    assert.equal(int64Field(3600n, 'expiresIn'), 3600);
    assert.throws(
      () => int64Field(2n ** 60n, 'expiresIn'),
      (e: unknown) => e instanceof ApiError && e.code === 'ERR_API_INVALID_ARGUMENT',
    );
  });

  it('maps errors to gRPC codes through the one error mapping, hiding internal details', () => {
    const deps = { log: silentServerLogger };
    const cases: { name: string; err: unknown; want: Code }[] = [
      {
        name: 'not found',
        err: new ApiError('ERR_API_NOT_FOUND', 'failed to get x: missing'),
        want: Code.NotFound,
      },
      {
        name: 'denied',
        err: new RbacDeniedError('permission denied: projects, get, p'),
        want: Code.PermissionDenied,
      },
      {
        name: 'bad token',
        err: new AuthError('ERR_AUTH_TOKEN_INVALID', 'no session information'),
        want: Code.Unauthenticated,
      },
      { name: 'bug', err: new Error('secret detail'), want: Code.Internal },
    ];
    for (const c of cases) {
      const e = toConnectError(deps, c.err, 'x.Y/Z');
      assert.equal(Code[e.code], Code[c.want], c.name);
    }
    const internal = toConnectError(deps, new Error('secret detail'), 'x.Y/Z');
    assert.match(internal.rawMessage, /^internal error \(logId=/);
    assert.ok(!internal.rawMessage.includes('secret detail'));
  });
});
