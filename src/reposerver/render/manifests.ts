/**
 * Parsing manifests from untrusted text (repository files and tool output) with limits:
 * - YAML 1.1 as kubectl reads it (`0644` is octal, `yes` is true), minus the 1.1 tags kubectl
 *   keeps as strings (timestamps, binary) or cannot represent (sets, ordered maps);
 * - at most `maxAliasCount` alias expansions per document, so an alias bomb fails in
 *   milliseconds instead of eating memory;
 * - no document larger than `maxDocumentBytes` (3 MiB by default: the Kubernetes API server
 *   refuses larger request bodies anyway), checked before parsing;
 * - duplicate keys are errors (nothing is silently dropped);
 * - every document must be a Kubernetes object (`apiVersion` and `kind`); `*List` kinds are
 *   flattened into their items; empty and comment-only documents are skipped;
 * - plain block YAML goes through `fast-yaml.ts` first, which answers exactly as the full parser
 *   or not at all.
 */
import { parseAllDocuments, type Document, type Tags } from 'yaml';
import { isRecord } from '../../lib/index.js';
import { RepoServerError } from '../errors.js';
import { fastParseYamlDocuments } from './fast-yaml.js';
import { Refusal } from '../security.js';

export interface ManifestLimits {
  readonly maxDocumentBytes: number;
  readonly maxAliasCount: number;
}

export const DEFAULT_MAX_DOCUMENT_BYTES = 3 * 1024 * 1024;
export const DEFAULT_MAX_ALIAS_COUNT = 100;

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = {
  maxDocumentBytes: DEFAULT_MAX_DOCUMENT_BYTES,
  maxAliasCount: DEFAULT_MAX_ALIAS_COUNT,
};

/** A manifest: a JSON object with apiVersion and kind. */
export type ManifestObject = Record<string, unknown> & { apiVersion: string; kind: string };

const DROPPED_TAGS = new Set([
  'tag:yaml.org,2002:timestamp',
  'tag:yaml.org,2002:binary',
  'tag:yaml.org,2002:omap',
  'tag:yaml.org,2002:pairs',
  'tag:yaml.org,2002:set',
]);

function kubectlTags(tags: Tags): Tags {
  return tags.filter((t) => typeof t === 'string' || !DROPPED_TAGS.has(t.tag));
}

const DOC_MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;

function checkDocumentSizes(text: string, source: string, limit: number): void {
  if (Buffer.byteLength(text) <= limit) return;
  // a document marker at column 0 always ends a document, even inside a multi-line scalar
  let start = 0;
  let index = 0;
  const check = (end: number): void => {
    const bytes = Buffer.byteLength(text.slice(start, end));
    if (bytes > limit) {
      throw new RepoServerError(
        'ERR_MANIFEST_TOO_LARGE',
        `failed to parse ${source}: document ${index + 1} is ${bytes} bytes, over the limit of ${limit} bytes for one manifest`,
        { security: Refusal.sizeLimit },
      );
    }
  };
  for (const m of text.matchAll(DOC_MARKER)) {
    check(m.index);
    start = m.index;
    index++;
  }
  check(text.length);
}

function asManifest(value: unknown, where: string): ManifestObject {
  if (!isRecord(value))
    throw new RepoServerError(
      'ERR_MANIFEST_PARSE',
      `failed to parse ${where}: expected a Kubernetes object (a mapping), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  const { apiVersion, kind } = value;
  if (
    typeof apiVersion !== 'string' ||
    apiVersion === '' ||
    typeof kind !== 'string' ||
    kind === ''
  )
    throw new RepoServerError(
      'ERR_MANIFEST_PARSE',
      `failed to parse ${where}: not a Kubernetes object (apiVersion and kind are required)`,
    );
  return value as ManifestObject;
}

function pushFlattened(out: ManifestObject[], value: unknown, where: string): void {
  const obj = asManifest(value, where);
  if (obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    obj.items.forEach((item, i) => {
      out.push(asManifest(item, `${where} item ${i + 1}`));
    });
    return;
  }
  out.push(obj);
}

/** Parses a JSON file holding one object (a `*List` is flattened). */
export function parseJsonManifest(
  text: string,
  source: string,
  limits: ManifestLimits,
): ManifestObject[] {
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxDocumentBytes)
    throw new RepoServerError(
      'ERR_MANIFEST_TOO_LARGE',
      `failed to parse ${source}: ${bytes} bytes is over the limit of ${limits.maxDocumentBytes} bytes for one manifest`,
      { security: Refusal.sizeLimit },
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RepoServerError(
      'ERR_MANIFEST_PARSE',
      `failed to parse ${source}: invalid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const out: ManifestObject[] = [];
  pushFlattened(out, value, source);
  return out;
}

/** Parses a multi-document YAML stream (see the module comment). */
export function parseYamlManifests(
  text: string,
  source: string,
  limits: ManifestLimits,
): ManifestObject[] {
  checkDocumentSizes(text, source, limits.maxDocumentBytes);
  // plain block YAML (most tool output) takes the fast path; anything else, and any document the
  // fast path reads but that is not a manifest (for the full parser's error message), the full one
  const fast = fastParseYamlDocuments(text);
  if (fast !== undefined) {
    const out: ManifestObject[] = [];
    try {
      for (const value of fast) if (value !== null) pushFlattened(out, value, source);
      return out;
    } catch (err) {
      if (!(err instanceof RepoServerError)) throw err;
    }
  }
  const out: ManifestObject[] = [];
  parseYamlDocumentsFull(text, source, limits.maxAliasCount).forEach((value, i, all) => {
    if (value === null || value === undefined) return;
    pushFlattened(out, value, all.length > 1 ? `${source} (document ${i + 1})` : source);
  });
  return out;
}

/**
 * Parses every document with the full YAML parser (kubectl's YAML 1.1 reading, the alias limit);
 * returns each document's value, null for empty ones. Throws ERR_MANIFEST_PARSE.
 */
export function parseYamlDocumentsFull(
  text: string,
  source: string,
  maxAliasCount: number,
): unknown[] {
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { version: '1.1', customTags: kubectlTags, prettyErrors: true });
  } catch (err) {
    throw parseFailure(source, err, maxAliasCount);
  }
  const list: readonly Document.Parsed[] | readonly Document[] = docs;
  return list.map((doc, i) => {
    const where = list.length > 1 ? `${source} (document ${i + 1})` : source;
    const firstError = doc.errors[0];
    if (firstError)
      throw new RepoServerError(
        'ERR_MANIFEST_PARSE',
        `failed to parse ${where}: ${firstLine(firstError.message)}`,
      );
    try {
      const value: unknown = doc.toJS({ maxAliasCount });
      return value === undefined ? null : value;
    } catch (err) {
      throw parseFailure(where, err, maxAliasCount);
    }
  });
}

function firstLine(message: string | undefined): string {
  return (message ?? 'invalid YAML').split('\n')[0] ?? 'invalid YAML';
}

function parseFailure(where: string, err: unknown, maxAliasCount: number): RepoServerError {
  if (err instanceof RangeError)
    return new RepoServerError(
      'ERR_MANIFEST_PARSE',
      `failed to parse ${where}: the document is nested too deeply`,
      { security: Refusal.resourceExhaustion },
    );
  const message = err instanceof Error ? err.message : String(err);
  if (/alias/i.test(message))
    return new RepoServerError(
      'ERR_MANIFEST_PARSE',
      `failed to parse ${where}: too many YAML alias expansions (a possible alias bomb); at most ${maxAliasCount} are allowed`,
      { security: Refusal.resourceExhaustion },
    );
  return new RepoServerError(
    'ERR_MANIFEST_PARSE',
    `failed to parse ${where}: ${firstLine(message)}`,
  );
}
