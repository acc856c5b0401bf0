/**
 * Desired-versus-live reads of one app: `managed-resources` (engine diffs in Argo CD's
 * `ResourceDiff` shape, states as JSON strings) and `manifests` (the repo server's rendering).
 * Desired state comes from the repo server at the revision the controller last compared
 * (`status.sync.revision(s)`, else the target revision); live state from the server's cluster cache
 * (live.ts). Secrets are masked by the engine (`diffResource`, `hideSecretDataOf`) before anything
 * is serialised: a Secret value never reaches a response, changed values keep distinct masks.
 */
import { getSources, type KubeObject } from '../../apis/index.js';
import {
  EngineError,
  compileIgnoreDifferences,
  diffResource,
  formatResourceKey,
  hideSecretData,
  isHook,
  parseManifests,
  prepareDesired,
  resourceKeyOf,
  toResourceDiffWire,
  type DesiredState,
  type ResourceKey,
} from '../../engine/index.js';
import type { ResourceDiffWire } from '../../apis/index.js';
import { errorMessage } from '../../lib/index.js';
import { ApiError } from '../errors.js';
import { generateManifests, repoServerOf } from './repo.js';
import type { AppState, StoredApplication } from './state.js';

/** Revisions to render: what the controller compared, else the targets. */
function comparedRevisions(app: StoredApplication): (string | undefined)[] {
  const sources = getSources(app.spec);
  const sync = app.status?.sync;
  if (sources.length > 1 || app.spec.sources)
    return sources.map((s, i) => sync?.revisions?.[i] ?? s.targetRevision);
  return [sync?.revision ?? sources[0]?.targetRevision];
}

export interface RenderedManifests {
  manifests: string[];
  revision: string;
  revisions: string[];
  sourceType: string;
  sourceTypes: string[];
  namespace: string;
  server: string;
}

/** Renders every source of the app (unmasked JSON strings: callers mask). */
export async function renderApp(
  state: AppState,
  app: StoredApplication,
  opts: { revision?: string; revisions?: readonly string[]; noCache?: boolean } = {},
): Promise<RenderedManifests> {
  const client = repoServerOf(state.deps.repoServer, 'generate manifests');
  const sources = getSources(app.spec);
  if (sources.length === 0)
    throw new ApiError(
      'ERR_API_FAILED_PRECONDITION',
      'failed to generate manifests: the application has no source',
    );
  const compared = comparedRevisions(app);
  const dest = app.spec.destination;
  const parts = await Promise.all(
    sources.map((s, i) => {
      const revision =
        (sources.length === 1 ? opts.revision : opts.revisions?.[i]) ??
        compared[i] ??
        s.targetRevision;
      return generateManifests(client, state.deps.store, s, {
        appName: state.live.instanceName(app),
        namespace: dest.namespace ?? '',
        ...(revision !== undefined && revision !== '' ? { revision } : {}),
        ...(opts.noCache === true ? { noCache: true } : {}),
      });
    }),
  );
  return {
    manifests: parts.flatMap((p) => p.manifests),
    revision: parts[0]?.revision ?? '',
    revisions: parts.map((p) => p.revision),
    sourceType: parts[0]?.sourceType ?? '',
    sourceTypes: parts.map((p) => p.sourceType),
    namespace: dest.namespace ?? '',
    server: dest.server ?? '',
  };
}

function sensitiveAnnotations(state: AppState): readonly string[] {
  return state.deps.store.settings().sensitiveMaskAnnotations;
}

/** Parsed manifests with Secrets masked, as JSON strings (the `manifests` endpoint). */
export function maskManifests(state: AppState, manifests: readonly string[]): string[] {
  let objects: KubeObject[];
  try {
    objects = parseManifests(manifests);
  } catch (err) {
    throw new ApiError(
      'ERR_API_FAILED_PRECONDITION',
      `failed to read the generated manifests: ${errorMessage(err)}`,
    );
  }
  const sensitive = sensitiveAnnotations(state);
  return objects.map((o) =>
    JSON.stringify(hideSecretData(undefined, o, undefined, sensitive).live ?? o),
  );
}

function desiredStateOf(
  state: AppState,
  app: StoredApplication,
  manifests: readonly string[],
  resourceInfo: { isNamespaced(group: string, kind: string): boolean | undefined },
): DesiredState {
  const s = state.deps.store.settings();
  try {
    return prepareDesired(parseManifests(manifests), {
      appInstanceName: state.live.instanceName(app),
      destinationNamespace: app.spec.destination.namespace ?? '',
      resourceInfo,
      tracking: {
        method: s.trackingMethod,
        labelKey: s.instanceLabelKey,
        ...(s.installationId !== '' ? { installationId: s.installationId } : {}),
      },
      ignoreDifferences: compileIgnoreDifferences(app.spec.ignoreDifferences ?? []),
      diff: { sensitiveAnnotations: s.sensitiveMaskAnnotations },
    });
  } catch (err) {
    if (err instanceof EngineError)
      throw new ApiError(
        'ERR_API_FAILED_PRECONDITION',
        `failed to compare application: ${err.message}`,
      );
    throw err;
  }
}

export interface ResourceFilterQuery {
  readonly group?: string | undefined;
  readonly kind?: string | undefined;
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
}

function keep(k: ResourceKey, q: ResourceFilterQuery): boolean {
  return (
    (q.group === undefined || q.group === k.group) &&
    (q.kind === undefined || q.kind === k.kind) &&
    (q.name === undefined || q.name === k.name) &&
    (q.namespace === undefined || q.namespace === k.namespace)
  );
}

/** The `managed-resources` items of an app (sorted like `status.resources`). */
export async function managedResources(
  state: AppState,
  app: StoredApplication,
  query: ResourceFilterQuery,
): Promise<ResourceDiffWire[]> {
  const rendered = await renderApp(state, app);
  // the kinds of the desired objects must be watched too (a resource not yet created is Missing)
  let kinds: { group: string; kind: string }[];
  try {
    kinds = parseManifests(rendered.manifests).map((o) => {
      const k = resourceKeyOf(o);
      return { group: k.group, kind: k.kind };
    });
  } catch {
    kinds = [];
  }
  const { handle } = await state.live.forApp(app, kinds);
  const desired = desiredStateOf(state, app, rendered.manifests, handle.cache);
  const ignore = compileIgnoreDifferences(app.spec.ignoreDifferences ?? []);
  const sensitive = sensitiveAnnotations(state);
  const out: ResourceDiffWire[] = [];
  const seen = new Set<string>();
  const diff = (
    key: ResourceKey,
    d: KubeObject | undefined,
    live: KubeObject | undefined,
    hook: boolean,
  ): void => {
    if (!keep(key, query)) return;
    const r = diffResource(d, live, { ignoreDifferences: ignore, sensitiveAnnotations: sensitive });
    out.push(toResourceDiffWire(r, hook));
  };
  for (const res of desired.resources) {
    if (res.skip) continue;
    const k = formatResourceKey(res.key);
    if (seen.has(k) || res.key.name === '') continue;
    seen.add(k);
    diff(res.key, res.object, handle.cache.get(res.key), res.hook);
  }
  for (const live of state.live.managedObjects(handle, app)) {
    const key = resourceKeyOf(live);
    const k = formatResourceKey(key);
    if (seen.has(k)) continue;
    seen.add(k);
    diff(key, undefined, live, isHook(live));
  }
  out.sort((a, b) =>
    `${a.group}/${a.kind}/${a.namespace}/${a.name}` <
    `${b.group}/${b.kind}/${b.namespace}/${b.name}`
      ? -1
      : 1,
  );
  return out;
}
