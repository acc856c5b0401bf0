/**
 * What an object's annotations say about syncing it (≈ gitops-engine `pkg/sync/hook`,
 * `pkg/sync/syncwaves`, `resource.HasAnnotationOption`): hook types (Argo CD's
 * `argocd.argoproj.io/hook`, or Helm's `helm.sh/hook` mapped as Argo CD maps it), hook delete
 * policies, sync wave and per-resource sync options.
 */
import {
  Annotations,
  HookDeletePolicies,
  HookTypes,
  type HookDeletePolicy,
  type HookType,
  type KubeObject,
} from '../../apis/index.js';

type Annotated = Pick<KubeObject, 'metadata'>;

function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

/** Helm hook → Argo CD hook type; Helm hooks not listed (test, delete, rollback) never run. */
const helmHookTypes: Readonly<Record<string, HookType>> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};

const helmDeletePolicies: Readonly<Record<string, HookDeletePolicy>> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

const argoHookTypes = new Set<string>(Object.values(HookTypes));
const argoDeletePolicies = new Set<string>(Object.values(HookDeletePolicies));

/** Whether `argocd.argoproj.io/hook` includes `Skip`: the object is never applied. */
export function isSkipped(obj: Annotated): boolean {
  return splitList(obj.metadata.annotations?.[Annotations.hook]).includes(HookTypes.Skip);
}

/**
 * Whether the object is a hook: it has `argocd.argoproj.io/hook` (other than `Skip`), or, without
 * that, `helm.sh/hook`. Hooks are created in their phase, never pruned, and left out of the app's
 * sync status and health.
 */
export function isHook(obj: Annotated): boolean {
  const ann = obj.metadata.annotations;
  if (ann === undefined) return false;
  const argo = ann[Annotations.hook];
  if (argo !== undefined) return !splitList(argo).includes(HookTypes.Skip);
  return ann[Annotations.helmHook] !== undefined;
}

/**
 * The hook types of an object (`PreSync`, `Sync`, `PostSync`, `SyncFail`), Argo CD's annotation
 * first, Helm's mapped otherwise (`pre-install`/`pre-upgrade` → PreSync,
 * `post-install`/`post-upgrade` → PostSync). Unknown values are ignored.
 * @example getHookTypes(job) // ['PreSync']
 */
export function getHookTypes(obj: Annotated): HookType[] {
  const ann = obj.metadata.annotations;
  if (ann === undefined) return [];
  const argo = ann[Annotations.hook];
  const out: HookType[] = [];
  if (argo !== undefined) {
    for (const t of splitList(argo)) {
      if (argoHookTypes.has(t) && t !== HookTypes.Skip && !out.includes(t as HookType))
        out.push(t as HookType);
    }
    return out;
  }
  for (const t of splitList(ann[Annotations.helmHook])) {
    const mapped = helmHookTypes[t];
    if (mapped !== undefined && !out.includes(mapped)) out.push(mapped);
  }
  return out;
}

/**
 * Hook delete policies (`argocd.argoproj.io/hook-delete-policy`, or Helm's mapped); default
 * `[BeforeHookCreation]` as in Argo CD.
 */
export function getHookDeletePolicies(obj: Annotated): HookDeletePolicy[] {
  const ann = obj.metadata.annotations ?? {};
  const out: HookDeletePolicy[] = [];
  for (const p of splitList(ann[Annotations.hookDeletePolicy])) {
    if (argoDeletePolicies.has(p) && !out.includes(p as HookDeletePolicy))
      out.push(p as HookDeletePolicy);
  }
  for (const p of splitList(ann[Annotations.helmHookDeletePolicy])) {
    const mapped = helmDeletePolicies[p];
    if (mapped !== undefined && !out.includes(mapped)) out.push(mapped);
  }
  return out.length > 0 ? out : ['BeforeHookCreation'];
}

function parseWave(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^[+-]?\d{1,9}$/.test(t)) return undefined;
  return Number(t);
}

/**
 * The sync wave: `argocd.argoproj.io/sync-wave`, else for Helm hooks `helm.sh/hook-weight`, else 0.
 * Values that are not integers count as 0.
 */
export function getSyncWave(obj: Annotated): number {
  const ann = obj.metadata.annotations;
  if (ann === undefined) return 0;
  const wave = parseWave(ann[Annotations.syncWave]);
  if (wave !== undefined) return wave;
  if (ann[Annotations.helmHook] !== undefined)
    return parseWave(ann[Annotations.helmHookWeight]) ?? 0;
  return 0;
}

/**
 * Parses sync options (`Key=Value` strings, as in `syncPolicy.syncOptions`, or one comma-separated
 * annotation value) into a map; later entries win.
 * @example parseSyncOptions(['CreateNamespace=true', 'Prune=false']).get('Prune') // 'false'
 */
export function parseSyncOptions(
  options: readonly string[] | string | undefined,
): Map<string, string> {
  const list = typeof options === 'string' ? splitList(options) : (options ?? []);
  const out = new Map<string, string>();
  for (const raw of list) {
    const opt = raw.trim();
    const eq = opt.indexOf('=');
    if (eq === 0) continue;
    if (eq < 0) {
      // bare flags such as the compare option `IgnoreExtraneous`
      out.set(opt, '');
      continue;
    }
    out.set(opt.slice(0, eq).trim(), opt.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Whether the object's `argocd.argoproj.io/sync-options` annotation has `option` (`Key=Value`,
 * e.g. `Prune=false`; the value compares case-insensitively).
 */
export function hasSyncOption(obj: Annotated, option: string): boolean {
  return hasOptionIn(obj.metadata.annotations?.[Annotations.syncOptions], option);
}

/** Whether the object's `argocd.argoproj.io/compare-options` annotation has `option`. */
export function hasCompareOption(obj: Annotated, option: string): boolean {
  return hasOptionIn(obj.metadata.annotations?.[Annotations.compareOptions], option);
}

function hasOptionIn(value: string | undefined, option: string): boolean {
  if (value === undefined) return false;
  const eq = option.indexOf('=');
  const key = eq < 0 ? option : option.slice(0, eq);
  const want = eq < 0 ? undefined : option.slice(eq + 1).toLowerCase();
  const got = parseSyncOptions(value).get(key);
  if (got === undefined) return false;
  return want === undefined || got.toLowerCase() === want;
}
