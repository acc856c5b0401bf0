/**
 * Rendered manifests into objects. The repo server answers one JSON string per object; local
 * manifests (`argocd app diff --local`, examples, tests) are YAML streams. Both are accepted: a
 * string that starts with `{` is JSON, anything else is a (multi-document) YAML stream. `List`
 * kinds (`v1/List`, `*List`) are flattened into their items. Every object must have `apiVersion`,
 * `kind` and `metadata.name` (or `metadata.generateName`, which hooks use).
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import { EngineError } from '../errors.js';

/** Options of `parseManifests`. */
export interface ParseManifestsOptions {
  /** largest accepted input string in bytes (default 10 MiB, the repo server's directory limit) */
  readonly maxBytes?: number;
  /** YAML aliases allowed per document (default 100; a guard against alias bombs) */
  readonly maxAliasCount?: number;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Parses rendered manifests into Kubernetes objects, in input order, `List`s flattened.
 * Empty YAML documents and JSON/YAML `null` are skipped.
 *
 * @throws EngineError `ERR_ENGINE_INVALID_MANIFEST` naming the input index (and document) and what
 *   is wrong; the message never quotes values.
 * @example
 * const objs = parseManifests(['{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}']);
 */
export function parseManifests(
  inputs: readonly string[],
  options: ParseManifestsOptions = {},
): KubeObject[] {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const out: KubeObject[] = [];
  inputs.forEach((text, i) => {
    if (typeof text !== 'string') {
      throw invalid(`manifest ${i}`, 'it is not a string');
    }
    if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
      throw invalid(
        `manifest ${i}`,
        `it is larger than ${maxBytes} bytes; split it or raise the limit`,
      );
    }
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // the parser's message quotes the input, which may be a Secret: say only what and where
        throw invalid(`manifest ${i}`, 'it is not valid JSON');
      }
      collect(value, `manifest ${i}`, out);
      return;
    }
    const docs = parseAllDocuments(text, {
      uniqueKeys: true,
      prettyErrors: false,
    });
    const list = Array.isArray(docs) ? docs : [];
    list.forEach((doc, d) => {
      const where = list.length > 1 ? `manifest ${i} document ${d}` : `manifest ${i}`;
      const first = doc.errors[0];
      if (first) {
        throw invalid(where, `it is not valid YAML (${first.code} at offset ${first.pos[0]})`);
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? 100 });
      } catch {
        // no cause: YAML errors may quote the document
        throw invalid(where, 'its YAML could not be converted (too many aliases?)');
      }
      collect(value, where, out);
    });
  });
  return out;
}

function collect(value: unknown, where: string, out: KubeObject[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, j) => {
      collect(v, `${where} item ${j}`, out);
    });
    return;
  }
  if (!isRecord(value)) throw invalid(where, 'it is not an object');
  const { apiVersion, kind, metadata } = value;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item: unknown, j) => {
      collect(item, `${where} item ${j}`, out);
    });
    return;
  }
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    throw invalid(where, 'apiVersion is missing; every object needs apiVersion, kind and metadata');
  }
  if (typeof kind !== 'string' || kind === '') {
    throw invalid(where, `kind is missing (apiVersion ${apiVersion})`);
  }
  if (!isRecord(metadata)) {
    throw invalid(where, `metadata is missing in ${kind}`);
  }
  const { name, generateName, namespace } = metadata;
  const hasName = typeof name === 'string' && name !== '';
  const hasGenerateName = typeof generateName === 'string' && generateName !== '';
  if (!hasName && !hasGenerateName) {
    throw invalid(where, `metadata.name is missing in ${kind}`);
  }
  if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') {
    throw invalid(where, `metadata.namespace of ${kind} is not a string`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const m = metadata[field];
    if (m === undefined || m === null) continue;
    if (!isRecord(m) || Object.values(m).some((v) => typeof v !== 'string')) {
      throw invalid(where, `metadata.${field} of ${kind} must map strings to strings`);
    }
  }
  out.push(value as KubeObject);
}

function invalid(where: string, why: string): EngineError {
  return new EngineError('ERR_ENGINE_INVALID_MANIFEST', `failed to parse ${where}: ${why}`);
}
