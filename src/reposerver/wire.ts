/**
 * Pre-encoded manifests for the binary wire formats.
 *
 * A warm GenerateManifest answers the same few hundred kilobytes of manifests again and again.
 * Encoding them to protobuf on every call (UTF-8 encoding each string, then copying the pieces
 * together) costs more CPU and garbage than the rest of the call, so the manifests of a render are
 * encoded once, kept beside them in the manifest cache, and handed to the protobuf writer as an
 * opaque field it copies verbatim: protobuf-es writes a message's unknown fields (`$unknown`) as
 * `tag + data` after the known ones. `data` holds the whole repeated field 1 (`manifests`) except
 * its first tag, so the bytes on the wire decode exactly as if `manifests` had been set (field
 * order does not matter in protobuf; the elements of a repeated field are concatenated in order).
 *
 * Only the binary codecs can carry this; a JSON codec (Connect-JSON, gRPC+JSON) ignores unknown
 * fields, so those requests get the plain message (`isBinaryContentType`).
 */
import { create } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  ManifestResponseSchema,
  type ManifestResponse,
} from './gen/argocd/reposerver/v1/repository_pb.js';

/** Field number of `repeated string manifests` in `repository.ManifestResponse`. */
const MANIFESTS_FIELD = ManifestResponseSchema.field.manifests.number;

/** The manifests list encoded once (see the module comment); `undefined` for an empty list. */
export type EncodedManifests = Uint8Array | undefined;

/** Encodes `manifests` as repeated field 1 without its first tag (see the module comment). */
export function encodeManifests(manifests: readonly string[]): EncodedManifests {
  if (manifests.length === 0) return undefined;
  const w = new BinaryWriter();
  manifests.forEach((m, i) => {
    if (i > 0) w.tag(MANIFESTS_FIELD, WireType.LengthDelimited);
    w.string(m);
  });
  return w.finish();
}

/**
 * A ManifestResponse whose manifests travel as the pre-encoded bytes. Its `manifests` array is
 * empty in memory: give it only to a binary codec.
 */
export function withEncodedManifests(
  fields: Omit<Partial<ManifestResponse>, 'manifests' | '$typeName' | '$unknown'>,
  encoded: EncodedManifests,
): ManifestResponse {
  const res = create(ManifestResponseSchema, fields);
  if (encoded !== undefined)
    res.$unknown = [{ no: MANIFESTS_FIELD, wireType: WireType.LengthDelimited, data: encoded }];
  return res;
}

const BINARY_CONTENT_TYPES = new Set([
  'application/grpc',
  'application/grpc+proto',
  'application/grpc-web',
  'application/grpc-web+proto',
  'application/proto',
  'application/connect+proto',
]);

/** Whether a request's content type selects a protobuf binary codec (else JSON or unknown). */
export function isBinaryContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const base = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return BINARY_CONTENT_TYPES.has(base);
}
