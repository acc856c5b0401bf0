import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { ManifestResponseSchema } from './gen/argocd/reposerver/v1/repository_pb.js';
import { encodeManifests, isBinaryContentType, withEncodedManifests } from './wire.js';

const fields = {
  namespace: 'default',
  revision: 'a'.repeat(40),
  sourceType: 'Directory',
  commands: ['kubectl kustomize .'],
  cached: true,
};

describe('pre-encoded manifests', () => {
  const cases = [
    { name: 'no manifests', manifests: [] },
    { name: 'one manifest', manifests: ['{"apiVersion":"v1","kind":"ConfigMap"}'] },
    {
      name: 'many manifests with multi-byte characters and empty strings',
      manifests: [
        '{"a":"é ✓ 𝄞"}',
        '',
        'x'.repeat(70_000),
        ...Array.from({ length: 300 }, (_, i) => `{"i":${i}}`),
      ],
    },
  ];
  for (const c of cases) {
    it(`decodes exactly as the plain message: ${c.name}`, () => {
      const plain = create(ManifestResponseSchema, { ...fields, manifests: c.manifests });
      const wire = toBinary(
        ManifestResponseSchema,
        withEncodedManifests(fields, encodeManifests(c.manifests)),
      );
      const decoded = fromBinary(ManifestResponseSchema, wire);
      assert.deepEqual(decoded.manifests, c.manifests);
      assert.equal(decoded.$unknown, undefined, 'nothing is left over as unknown fields');
      assert.deepEqual(
        toJson(ManifestResponseSchema, decoded),
        toJson(ManifestResponseSchema, plain),
      );
      assert.equal(wire.length, toBinary(ManifestResponseSchema, plain).length);
    });
  }

  it('encodes nothing for an empty list', () => {
    assert.equal(encodeManifests([]), undefined);
  });
});

describe('isBinaryContentType', () => {
  const cases = [
    { name: 'gRPC', ct: 'application/grpc', binary: true },
    { name: 'gRPC proto', ct: 'application/grpc+proto', binary: true },
    { name: 'gRPC-Web', ct: 'application/grpc-web+proto', binary: true },
    { name: 'Connect proto with parameters', ct: 'Application/Proto; charset=utf-8', binary: true },
    { name: 'Connect JSON', ct: 'application/json', binary: false },
    { name: 'gRPC JSON', ct: 'application/grpc+json', binary: false },
    { name: 'gRPC-Web JSON', ct: 'application/grpc-web+json', binary: false },
    { name: 'missing', ct: null, binary: false },
  ];
  for (const c of cases) {
    it(`says ${c.binary ? 'binary' : 'not binary'} for ${c.name}`, () => {
      assert.equal(isBinaryContentType(c.ct), c.binary);
    });
  }
});
