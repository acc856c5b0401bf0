/**
 * Secret redaction before anything leaves the engine (≈ gitops-engine `diff.HideSecretData`, Argo
 * CD interfaces §5.1). Masks are runs of `+`: per key, the first distinct value becomes `++++++++`,
 * each further distinct value four `+` longer, and equal values share a mask, so "changed" and
 * "unchanged" stay visible without revealing anything.
 */
import { Annotations, type KubeObject } from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';

/** The masked objects. */
export interface HiddenSecrets {
  readonly target: KubeObject | undefined;
  readonly live: KubeObject | undefined;
  readonly orig: KubeObject | undefined;
}

const FIRST_MASK = '++++++++';

/** Whether an object is a core/v1 Secret. */
export function isSecret(
  obj: { readonly apiVersion?: unknown; readonly kind?: unknown } | undefined,
): boolean {
  return obj !== undefined && obj.kind === 'Secret' && obj.apiVersion === 'v1';
}

/** Per-key value → mask assignment shared by target, live and last-applied. */
class Masker {
  private readonly byKey = new Map<string, Map<string, string>>();

  mask(key: string, value: unknown): string {
    const s = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
    let m = this.byKey.get(key);
    if (m === undefined) {
      m = new Map();
      this.byKey.set(key, m);
    }
    let mask = m.get(s);
    if (mask === undefined) {
      mask = FIRST_MASK + '++++'.repeat(m.size);
      m.set(s, mask);
    }
    return mask;
  }
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** A copy of a Secret with `stringData` folded into `data` and every data value masked. */
function maskSecret(obj: Record<string, unknown>, masker: Masker): Record<string, unknown> {
  const data: Record<string, unknown> = isRecord(obj.data) ? { ...obj.data } : {};
  if (isRecord(obj.stringData)) {
    for (const [k, v] of Object.entries(obj.stringData))
      data[k] = typeof v === 'string' ? b64(v) : v;
  }
  const out: Record<string, unknown> = { ...obj };
  delete out.stringData;
  const masked: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) masked[k] = masker.mask(`data/${k}`, data[k]);
  if (isRecord(obj.data) || isRecord(obj.stringData)) out.data = masked;
  return out;
}

function maskAnnotations(
  meta: Record<string, unknown>,
  sensitive: readonly string[],
  masker: Masker,
): Record<string, unknown> {
  const ann = meta.annotations;
  if (!isRecord(ann) || !sensitive.some((k) => k in ann)) return meta;
  const next: Record<string, unknown> = { ...ann };
  for (const k of sensitive) if (k in next) next[k] = masker.mask(`annotation/${k}`, next[k]);
  return { ...meta, annotations: next };
}

function maskLastApplied(
  meta: Record<string, unknown>,
  secret: boolean,
  sensitive: readonly string[],
  masker: Masker,
): Record<string, unknown> {
  const ann = meta.annotations;
  if (!isRecord(ann)) return meta;
  const raw = ann[Annotations.lastAppliedConfiguration];
  if (raw === undefined) return meta;
  let replacement: string;
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) replacement = FIRST_MASK;
  else replacement = JSON.stringify(maskObject(parsed, secret, sensitive, masker, false));
  return { ...meta, annotations: { ...ann, [Annotations.lastAppliedConfiguration]: replacement } };
}

function maskObject(
  obj: Record<string, unknown>,
  secret: boolean,
  sensitive: readonly string[],
  masker: Masker,
  lastApplied: boolean,
): Record<string, unknown> {
  let out = secret ? maskSecret(obj, masker) : obj;
  if (isRecord(out.metadata)) {
    let meta: Record<string, unknown> = out.metadata;
    meta = maskAnnotations(meta, sensitive, masker);
    if (lastApplied) meta = maskLastApplied(meta, secret, sensitive, masker);
    if (meta !== out.metadata) out = { ...out, metadata: meta };
  }
  return out;
}

function needsMasking(obj: KubeObject | undefined, sensitive: readonly string[]): boolean {
  if (obj === undefined) return false;
  if (isSecret(obj)) return true;
  const ann = obj.metadata.annotations;
  return ann !== undefined && sensitive.some((k) => k in ann);
}

/**
 * Masks several versions of one object with one shared value → mask assignment (internal: the
 * diff masks target, live and their normalised forms together). Returns the inputs themselves
 * when none needs masking.
 */
export function maskObjects(
  objects: readonly (KubeObject | undefined)[],
  sensitiveAnnotations: readonly string[],
): (KubeObject | undefined)[] {
  const secret = objects.some((o) => isSecret(o));
  if (!secret && !objects.some((o) => needsMasking(o, sensitiveAnnotations))) return [...objects];
  const masker = new Masker();
  return objects.map((o) =>
    o === undefined
      ? undefined
      : (maskObject(o, secret && isSecret(o), sensitiveAnnotations, masker, true) as KubeObject),
  );
}

/**
 * Masks Secret values across desired (`target`), `live` and the last-applied object (`orig`):
 * `stringData` is folded into `data`, then each key's distinct values become `++++++++`,
 * `++++++++++++`, ... (equal values, equal masks: a changed secret still shows as changed). The
 * `kubectl.kubernetes.io/last-applied-configuration` annotation is re-masked the same way (or
 * replaced by a mask when it cannot be parsed). Annotations named in `sensitiveAnnotations`
 * (`resource.sensitive.mask.annotations`) are masked on any kind. Objects that need no masking
 * are returned as they are (same references); the inputs are never modified.
 * @example
 * const { target, live } = hideSecretData(desiredSecret, liveSecret);
 * // target.data.password === '++++++++', live.data.password === '++++++++++++' when they differ
 */
export function hideSecretData(
  target: KubeObject | undefined,
  live: KubeObject | undefined,
  orig?: KubeObject,
  sensitiveAnnotations: readonly string[] = [],
): HiddenSecrets {
  const [t, l, o] = maskObjects([target, live, orig], sensitiveAnnotations);
  return { target: t, live: l, orig: o };
}

/** Masks one object on its own (e.g. a live Secret returned by the resource API). */
export function hideSecretDataOf(
  obj: KubeObject,
  sensitiveAnnotations: readonly string[] = [],
): KubeObject {
  return hideSecretData(undefined, obj, undefined, sensitiveAnnotations).live ?? obj;
}
