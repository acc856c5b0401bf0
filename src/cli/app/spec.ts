/**
 * From `argocd app create|set` flags to an Application (pure): source (git path or Helm chart,
 * Helm/Kustomize/directory options), destination, project, sync policy and retry, labels and
 * annotations. Flag meanings follow Argo CD's `cmd/util/app.go`; invalid combinations are usage
 * errors that name the flag.
 */
import {
  API_GROUP_VERSION,
  Finalizers,
  Kinds,
  type Application,
  type ApplicationSource,
  type ApplicationSpec,
  type SyncPolicy,
} from '../../apis/index.js';
import { parseDuration } from '../../lib/index.js';
import type { Opts } from '../define.js';
import { usageError } from '../errors.js';

export interface AppSpecFlags {
  readonly repo?: string;
  readonly path?: string;
  readonly revision?: string;
  readonly chart?: string;
  readonly destServer?: string;
  readonly destName?: string;
  readonly destNamespace?: string;
  readonly project?: string;
  readonly syncPolicy?: string;
  readonly autoPrune?: boolean;
  readonly selfHeal?: boolean;
  readonly allowEmpty?: boolean;
  readonly syncOptions?: readonly string[];
  readonly syncRetryLimit?: number;
  readonly syncRetryBackoffDuration?: string;
  readonly syncRetryBackoffMaxDuration?: string;
  readonly syncRetryBackoffFactor?: number;
  readonly revisionHistoryLimit?: number;
  readonly helmSet?: readonly string[];
  readonly helmSetString?: readonly string[];
  readonly values?: readonly string[];
  readonly releaseName?: string;
  readonly helmSkipCrds?: boolean;
  readonly directoryRecurse?: boolean;
  readonly directoryInclude?: string;
  readonly directoryExclude?: string;
  readonly namePrefix?: string;
  readonly nameSuffix?: string;
  readonly kustomizeImages?: readonly string[];
  readonly kustomizeNamespace?: string;
}

/** Drops undefined values (for `exactOptionalPropertyTypes` objects). */
export function defined<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Reads the spec flags of `app create`/`app set` from parsed options. */
export function appSpecFlagsFrom(opts: Opts): AppSpecFlags {
  return defined<AppSpecFlags>({
    repo: opts.string('repo'),
    path: opts.string('path'),
    revision: opts.string('revision'),
    chart: opts.string('helmChart'),
    destServer: opts.string('destServer'),
    destName: opts.string('destName'),
    destNamespace: opts.string('destNamespace'),
    project: opts.string('project'),
    syncPolicy: opts.string('syncPolicy'),
    autoPrune: opts.bool('autoPrune'),
    selfHeal: opts.bool('selfHeal'),
    allowEmpty: opts.bool('allowEmpty'),
    syncOptions: opts.list('syncOption'),
    syncRetryLimit: opts.int('syncRetryLimit', '--sync-retry-limit', 0),
    syncRetryBackoffDuration: opts.string('syncRetryBackoffDuration'),
    syncRetryBackoffMaxDuration: opts.string('syncRetryBackoffMaxDuration'),
    syncRetryBackoffFactor: opts.int('syncRetryBackoffFactor', '--sync-retry-backoff-factor', 1),
    revisionHistoryLimit: opts.int('revisionHistoryLimit', '--revision-history-limit', 0),
    helmSet: opts.list('helmSet'),
    helmSetString: opts.list('helmSetString'),
    values: opts.list('values'),
    releaseName: opts.string('releaseName'),
    helmSkipCrds: opts.bool('helmSkipCrds'),
    directoryRecurse: opts.bool('directoryRecurse'),
    directoryInclude: opts.string('directoryInclude'),
    directoryExclude: opts.string('directoryExclude'),
    namePrefix: opts.string('nameprefix'),
    nameSuffix: opts.string('namesuffix'),
    kustomizeImages: opts.list('kustomizeImage'),
    kustomizeNamespace: opts.string('kustomizeNamespace'),
  });
}

/** Parses `key=value` (the value may contain `=`); `flag` names the flag in errors. */
export function parseKeyValue(text: string, flag: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw usageError(`invalid ${flag} "${text}": use key=value`);
  return [text.slice(0, i).trim(), text.slice(i + 1)];
}

/** `--label k=v` / `--annotations k=v` lists as a map. */
export function keyValueMap(list: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const [k, v] = parseKeyValue(item, flag);
    out[k] = v;
  }
  return out;
}

const SYNC_POLICIES: Record<string, 'manual' | 'automated'> = {
  manual: 'manual',
  none: 'manual',
  automated: 'automated',
  automatic: 'automated',
  auto: 'automated',
};

function checkDuration(value: string | undefined, flag: string): void {
  if (value === undefined) return;
  try {
    parseDuration(value);
  } catch {
    throw usageError(`invalid ${flag} "${value}": use a duration such as 5s, 3m or 1h`);
  }
}

function setSourceFlags(
  source: ApplicationSource,
  f: AppSpecFlags,
): { source: ApplicationSource; changed: number } {
  let changed = 0;
  const s: ApplicationSource = { ...source };
  const set = <K extends keyof ApplicationSource>(
    k: K,
    v: ApplicationSource[K] | undefined,
  ): void => {
    if (v === undefined) return;
    s[k] = v;
    changed++;
  };
  set('repoURL', f.repo);
  set('path', f.path);
  set('targetRevision', f.revision);
  set('chart', f.chart);
  if (f.chart !== undefined && f.path !== undefined)
    throw usageError('--helm-chart and --path exclude each other: a source is a chart or a path');
  const helmTouched =
    (f.helmSet?.length ?? 0) > 0 ||
    (f.helmSetString?.length ?? 0) > 0 ||
    (f.values?.length ?? 0) > 0 ||
    f.releaseName !== undefined ||
    f.helmSkipCrds !== undefined;
  if (helmTouched) {
    const helm = { ...(s.helm ?? {}) };
    const params = [...(helm.parameters ?? [])];
    const put = (entry: string, forceString: boolean, flag: string): void => {
      const [name, value] = parseKeyValue(entry, flag);
      const i = params.findIndex((p) => p.name === name);
      const p = { name, value, ...(forceString ? { forceString: true } : {}) };
      if (i === -1) params.push(p);
      else params[i] = p;
    };
    for (const e of f.helmSet ?? []) put(e, false, '--helm-set');
    for (const e of f.helmSetString ?? []) put(e, true, '--helm-set-string');
    if (params.length > 0) helm.parameters = params;
    if ((f.values?.length ?? 0) > 0) helm.valueFiles = [...(f.values ?? [])];
    if (f.releaseName !== undefined) helm.releaseName = f.releaseName;
    if (f.helmSkipCrds !== undefined) helm.skipCrds = f.helmSkipCrds;
    s.helm = helm;
    changed++;
  }
  const kustTouched =
    f.namePrefix !== undefined ||
    f.nameSuffix !== undefined ||
    (f.kustomizeImages?.length ?? 0) > 0 ||
    f.kustomizeNamespace !== undefined;
  if (kustTouched) {
    const k = { ...(s.kustomize ?? {}) };
    if (f.namePrefix !== undefined) k.namePrefix = f.namePrefix;
    if (f.nameSuffix !== undefined) k.nameSuffix = f.nameSuffix;
    if (f.kustomizeNamespace !== undefined) k.namespace = f.kustomizeNamespace;
    if ((f.kustomizeImages?.length ?? 0) > 0) {
      const images = [...(k.images ?? [])];
      for (const img of f.kustomizeImages ?? []) {
        const name = img.split(/[=:@]/)[0] ?? img;
        const i = images.findIndex((x) => (x.split(/[=:@]/)[0] ?? x) === name);
        if (i === -1) images.push(img);
        else images[i] = img;
      }
      k.images = images;
    }
    s.kustomize = k;
    changed++;
  }
  const dirTouched =
    f.directoryRecurse !== undefined ||
    f.directoryInclude !== undefined ||
    f.directoryExclude !== undefined;
  if (dirTouched) {
    const d = { ...(s.directory ?? {}) };
    if (f.directoryRecurse !== undefined) d.recurse = f.directoryRecurse;
    if (f.directoryInclude !== undefined) d.include = f.directoryInclude;
    if (f.directoryExclude !== undefined) d.exclude = f.directoryExclude;
    s.directory = d;
    changed++;
  }
  return { source: s, changed };
}

/**
 * Applies the flags to a spec; returns the new spec and how many settings the flags changed.
 * `existing` tells whether an automated policy is already there (for `--auto-prune` alone).
 */
export function applySpecFlags(
  spec: ApplicationSpec,
  f: AppSpecFlags,
): { spec: ApplicationSpec; changed: number } {
  let changed = 0;
  const out: ApplicationSpec = { ...spec, destination: { ...spec.destination } };
  if (out.sources && out.sources.length > 0) {
    const touchesSource = setSourceFlags(out.sources[0] ?? { repoURL: '' }, f).changed > 0;
    if (touchesSource)
      throw usageError(
        'this application has several sources: change them with a file (-f) or the UI; source flags apply to single-source applications',
      );
  } else {
    const r = setSourceFlags(out.source ?? { repoURL: '' }, f);
    if (r.changed > 0) {
      out.source = r.source;
      changed += r.changed;
    }
  }
  if (f.destServer !== undefined && f.destName !== undefined)
    throw usageError('--dest-server and --dest-name exclude each other: name the cluster one way');
  if (f.destServer !== undefined) {
    out.destination.server = f.destServer;
    delete out.destination.name;
    changed++;
  }
  if (f.destName !== undefined) {
    out.destination.name = f.destName;
    delete out.destination.server;
    changed++;
  }
  if (f.destNamespace !== undefined) {
    out.destination.namespace = f.destNamespace;
    changed++;
  }
  if (f.project !== undefined) {
    out.project = f.project;
    changed++;
  }
  if (f.revisionHistoryLimit !== undefined) {
    out.revisionHistoryLimit = f.revisionHistoryLimit;
    changed++;
  }
  const policy: SyncPolicy = { ...(out.syncPolicy ?? {}) };
  let policyChanged = false;
  if (f.syncPolicy !== undefined) {
    const p = SYNC_POLICIES[f.syncPolicy.toLowerCase()];
    if (p === undefined)
      throw usageError(
        `invalid --sync-policy "${f.syncPolicy}": use manual (or none) or automated (or auto)`,
      );
    if (p === 'manual') delete policy.automated;
    else policy.automated = { ...(policy.automated ?? {}) };
    policyChanged = true;
  }
  const autoFlags: [keyof NonNullable<SyncPolicy['automated']>, boolean | undefined, string][] = [
    ['prune', f.autoPrune, '--auto-prune'],
    ['selfHeal', f.selfHeal, '--self-heal'],
    ['allowEmpty', f.allowEmpty, '--allow-empty'],
  ];
  for (const [key, value, flag] of autoFlags) {
    if (value === undefined) continue;
    if (!policy.automated)
      throw usageError(`${flag} needs an automated sync policy: add --sync-policy automated`);
    policy.automated = { ...policy.automated, [key]: value };
    policyChanged = true;
  }
  if ((f.syncOptions?.length ?? 0) > 0) {
    const opts = [...(policy.syncOptions ?? [])];
    for (const o of f.syncOptions ?? []) {
      const [k] = parseKeyValue(o, '--sync-option');
      const i = opts.findIndex((x) => x.split('=')[0] === k);
      if (i === -1) opts.push(o);
      else opts[i] = o;
    }
    policy.syncOptions = opts;
    policyChanged = true;
  }
  checkDuration(f.syncRetryBackoffDuration, '--sync-retry-backoff-duration');
  checkDuration(f.syncRetryBackoffMaxDuration, '--sync-retry-backoff-max-duration');
  const retryTouched =
    f.syncRetryLimit !== undefined ||
    f.syncRetryBackoffDuration !== undefined ||
    f.syncRetryBackoffMaxDuration !== undefined ||
    f.syncRetryBackoffFactor !== undefined;
  if (retryTouched) {
    if (f.syncRetryLimit === 0) delete policy.retry;
    else {
      const retry = { ...(policy.retry ?? {}) };
      if (f.syncRetryLimit !== undefined) retry.limit = f.syncRetryLimit;
      const backoff = { ...(retry.backoff ?? {}) };
      if (f.syncRetryBackoffDuration !== undefined) backoff.duration = f.syncRetryBackoffDuration;
      if (f.syncRetryBackoffMaxDuration !== undefined)
        backoff.maxDuration = f.syncRetryBackoffMaxDuration;
      if (f.syncRetryBackoffFactor !== undefined) backoff.factor = f.syncRetryBackoffFactor;
      if (Object.keys(backoff).length > 0) retry.backoff = backoff;
      policy.retry = retry;
    }
    policyChanged = true;
  }
  if (policyChanged) {
    changed++;
    if (Object.keys(policy).length === 0) delete out.syncPolicy;
    else out.syncPolicy = policy;
  }
  return { spec: out, changed };
}

export interface NewApplicationInput {
  readonly name: string;
  readonly appNamespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** add the cascade-delete finalizer */
  readonly setFinalizer?: boolean;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks an application name (a DNS subdomain, at most 253 characters). */
export function checkAppName(name: string): void {
  if (name === '' || name.length > 253 || !NAME.test(name))
    throw usageError(
      `invalid application name "${name}": use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    );
}

/**
 * A new Application from flags (`app create` without -f), or from a file's Application with the
 * flags applied on top (`base`).
 */
export function buildApplication(
  input: NewApplicationInput,
  f: AppSpecFlags,
  base?: Application,
): Application {
  checkAppName(input.name);
  const start: ApplicationSpec = base?.spec ?? { project: 'default', destination: {} };
  const { spec } = applySpecFlags(start, f);
  const src = spec.sources?.[0] ?? spec.source;
  if (!src?.repoURL) throw usageError('a source repository is required: pass --repo <url>');
  if (src.chart === undefined && spec.sources === undefined && src.path === undefined)
    throw usageError(
      'a path in the repository (--path) or a Helm chart (--helm-chart) is required',
    );
  if (!spec.destination.server && !spec.destination.name)
    throw usageError(
      'a destination is required: pass --dest-server <url> or --dest-name <cluster>',
    );
  const labels = { ...(base?.metadata.labels ?? {}), ...(input.labels ?? {}) };
  const annotations = { ...(base?.metadata.annotations ?? {}), ...(input.annotations ?? {}) };
  const finalizers = [...(base?.metadata.finalizers ?? [])];
  if (input.setFinalizer && !finalizers.includes(Finalizers.resources))
    finalizers.push(Finalizers.resources);
  return {
    apiVersion: API_GROUP_VERSION,
    kind: Kinds.Application,
    metadata: {
      ...(base?.metadata ?? {}),
      name: input.name,
      ...(input.appNamespace !== undefined ? { namespace: input.appNamespace } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(finalizers.length > 0 ? { finalizers } : {}),
    },
    spec,
  };
}

/** Splits `ns/name` (Argo CD's qualified app name) into name and namespace. */
export function parseAppName(
  qualified: string,
  appNamespaceFlag?: string,
): { name: string; appNamespace?: string } {
  const i = qualified.indexOf('/');
  if (i === -1)
    return appNamespaceFlag
      ? { name: qualified, appNamespace: appNamespaceFlag }
      : { name: qualified };
  const ns = qualified.slice(0, i);
  const name = qualified.slice(i + 1);
  if (ns === '' || name === '' || name.includes('/'))
    throw usageError(`invalid application name "${qualified}": use <name> or <namespace>/<name>`);
  if (appNamespaceFlag && appNamespaceFlag !== ns)
    throw usageError(
      `the application namespace "${ns}" in the name and --app-namespace "${appNamespaceFlag}" disagree`,
    );
  return { name, appNamespace: ns };
}
