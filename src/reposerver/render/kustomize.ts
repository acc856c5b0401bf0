/**
 * Kustomize applications.
 *
 * Before the tool runs, every kustomization reachable from the app directory is read and each
 * path it names (resources, bases, components, patches, generator files, ...) must stay inside the
 * repository: kustomize itself lets a resource climb out with `..` (only files are held to the
 * kustomization root), which would let one repository read another repository's checkout or the
 * repo server's own files. Remote bases (URLs, `github.com/...`) cannot be fetched by an offline
 * repo server and are refused with a clear error instead of a network timeout.
 *
 * Source options (namePrefix, nameSuffix, namespace, images, commonLabels, commonAnnotations,
 * replicas, components) are applied without `kustomize edit` (which kubectl lacks) by generating an
 * overlay kustomization that lists the app directory as its one resource. The overlay lives in the
 * run's private work directory next to the checkouts, not inside the checkout: kustomize refuses an
 * overlay inside the directory it builds ("cycle detected"), and shared checkouts stay untouched.
 * Argo CD edits the app's own kustomization instead; the one visible difference is that an
 * overlay `namePrefix` is added in front of a prefix the app already sets, where `edit set` would
 * replace it.
 */
import { readFile, realpath, stat, writeFile, mkdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { isRecord } from '../../lib/index.js';
import { RepoServerError } from '../errors.js';
import { Refusal } from '../security.js';
import { KUSTOMIZATION_FILES } from './detect.js';
import { parseYamlManifests, type ManifestLimits, type ManifestObject } from './manifests.js';
import { requireTool, runTool, type ToolInfo, type ToolLimits } from './tools.js';

export interface KustomizeSourceOptions {
  readonly namePrefix?: string;
  readonly nameSuffix?: string;
  readonly namespace?: string;
  readonly images?: readonly string[];
  readonly commonLabels?: Readonly<Record<string, string>>;
  readonly commonAnnotations?: Readonly<Record<string, string>>;
  readonly replicas?: readonly { readonly name: string; readonly count: number }[];
  readonly components?: readonly string[];
  readonly ignoreMissingComponents?: boolean;
}

export interface KustomizeRun {
  /** the checkout root */
  readonly root: string;
  /** the app directory (inside root) */
  readonly appDir: string;
  /** a private empty directory for this run (HOME and the overlay go there) */
  /** a private empty directory for this run's overlay; needed only with source options */
  readonly workDir: string | undefined;
  /** HOME of the tool (kustomize writes nothing there; exec plugins stay disabled) */
  readonly home: string;
  /** undefined when kustomize is not installed: the checks still run, then the run fails */
  readonly tool: ToolInfo | undefined;
  readonly options: KustomizeSourceOptions;
  /** `kustomize.buildOptions`, split on whitespace */
  readonly buildOptions: readonly string[];
  readonly toolLimits: ToolLimits;
  readonly manifestLimits: ManifestLimits;
  readonly signal?: AbortSignal;
  /**
   * Runs `checkKustomizationReferences` for this run; a caller may memoise it per checkout, which
   * never changes (the default runs the check every time).
   */
  readonly checkReferences?: () => Promise<void>;
}

export interface KustomizeImage {
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
}

/**
 * Parses an image override the way `kustomize edit set image` reads it:
 * `name=newName:tag`, `name=newName@digest`, `name:tag`, `name@digest`, `name=newName`.
 */
export function parseKustomizeImage(spec: string): KustomizeImage {
  const s = spec.trim();
  if (s === '' || s.startsWith('-'))
    throw new RepoServerError(
      'ERR_INVALID_REQUEST',
      `kustomize image "${spec}" is not valid: expected name[=newName][:tag|@digest]`,
      { security: Refusal.argumentInjection },
    );
  const eq = s.indexOf('=');
  const splitRef = (ref: string): { image: string; tag?: string; digest?: string } => {
    const at = ref.indexOf('@');
    if (at >= 0) return { image: ref.slice(0, at), digest: ref.slice(at + 1) };
    const slash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    if (colon > slash) return { image: ref.slice(0, colon), tag: ref.slice(colon + 1) };
    return { image: ref };
  };
  if (eq < 0) {
    const r = splitRef(s);
    return {
      name: r.image,
      ...(r.tag !== undefined ? { newTag: r.tag } : {}),
      ...(r.digest !== undefined ? { digest: r.digest } : {}),
    };
  }
  const name = s.slice(0, eq);
  const r = splitRef(s.slice(eq + 1));
  return {
    name,
    ...(r.image !== '' && r.image !== name ? { newName: r.image } : {}),
    ...(r.tag !== undefined ? { newTag: r.tag } : {}),
    ...(r.digest !== undefined ? { digest: r.digest } : {}),
  };
}

export function hasSourceOptions(o: KustomizeSourceOptions): boolean {
  return Boolean(
    o.namePrefix ||
    o.nameSuffix ||
    o.namespace ||
    (o.images?.length ?? 0) > 0 ||
    Object.keys(o.commonLabels ?? {}).length > 0 ||
    Object.keys(o.commonAnnotations ?? {}).length > 0 ||
    (o.replicas?.length ?? 0) > 0 ||
    (o.components?.length ?? 0) > 0,
  );
}

const REMOTE =
  /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/|git@|git::|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\/)|\?ref=|\/\//;

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function exists(p: string): Promise<'dir' | 'file' | undefined> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    if ((await exists(join(dir, name))) === 'file') return join(dir, name);
  }
  return undefined;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function field(obj: unknown, key: string): unknown {
  return isRecord(obj) ? obj[key] : undefined;
}

/** The local paths a kustomization names: `dirs` may be kustomizations, `files` are read. */
function referencedPaths(k: Record<string, unknown>): { dirs: string[]; files: string[] } {
  const dirs = [...strings(k.resources), ...strings(k.bases), ...strings(k.components)];
  const files: string[] = [];
  // inline patches (they contain a newline) are not paths
  files.push(...strings(k.patchesStrategicMerge).filter((p) => !p.includes('\n')));
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    const list = k[key];
    if (Array.isArray(list)) for (const p of list) files.push(...strings(field(p, 'path')));
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    const list = k[key];
    if (!Array.isArray(list)) continue;
    for (const g of list) {
      for (const f of strings(field(g, 'files')))
        files.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      files.push(...strings(field(g, 'envs')), ...strings(field(g, 'env')));
    }
  }
  for (const key of ['crds', 'configurations']) files.push(...strings(k[key]));
  for (const key of ['generators', 'transformers', 'validators']) dirs.push(...strings(k[key]));
  files.push(...strings(field(k.openapi, 'path')));
  const chartHome = field(k.helmGlobals, 'chartHome');
  if (typeof chartHome === 'string') dirs.push(chartHome);
  return { dirs, files };
}

/**
 * Checks every kustomization reachable from `appDir` (see the module comment). Throws
 * ERR_PATH_OUTSIDE_ROOT for a path that leaves the repository and ERR_UNSUPPORTED for remote bases.
 */
export async function checkKustomizationReferences(
  root: string,
  appDir: string,
  limits: ManifestLimits,
): Promise<void> {
  const realRoot = await realpath(root);
  const seen = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    const file = await findKustomization(dir);
    if (!file) return;
    const text = await readFile(file, 'utf8');
    if (Buffer.byteLength(text) > limits.maxDocumentBytes)
      throw new RepoServerError(
        'ERR_MANIFEST_TOO_LARGE',
        `kustomization ${relative(root, file)} is too large`,
        { security: Refusal.sizeLimit },
      );
    let doc: unknown;
    try {
      doc = parse(text, { version: '1.1', maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      throw new RepoServerError(
        'ERR_MANIFEST_PARSE',
        `failed to parse ${relative(root, file)}: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`,
      );
    }
    if (!isRecord(doc)) return;
    const { dirs, files } = referencedPaths(doc);
    const where = relative(root, file);
    for (const [entry, isDirRef] of [
      ...dirs.map((d) => [d, true] as const),
      ...files.map((f) => [f, false] as const),
    ]) {
      const target = resolve(dir, entry);
      const kind = await exists(target);
      if (REMOTE.test(entry) && kind === undefined)
        throw new RepoServerError(
          'ERR_UNSUPPORTED',
          `${where} refers to the remote base "${entry}": the repo server works offline and does not fetch remote bases; vendor it into the repository`,
          { security: Refusal.remoteReference },
        );
      if (entry.startsWith('/') || !inside(root, target))
        throw new RepoServerError(
          'ERR_PATH_OUTSIDE_ROOT',
          `${where} refers to "${entry}", which is outside the repository`,
          { security: Refusal.pathTraversal },
        );
      if (kind === undefined) continue;
      const realTarget = await realpath(target);
      if (!inside(realRoot, realTarget))
        throw new RepoServerError(
          'ERR_PATH_OUTSIDE_ROOT',
          `${where} refers to "${entry}", which resolves outside the repository`,
          { security: Refusal.pathTraversal },
        );
      if (isDirRef && kind === 'dir') await visit(target);
    }
  };
  await visit(appDir);
}

/** The overlay kustomization for the source options (paths relative to the overlay dir). */
export async function buildOverlay(
  root: string,
  appDir: string,
  overlayDir: string,
  o: KustomizeSourceOptions,
): Promise<Record<string, unknown>> {
  const overlay: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(overlayDir, appDir)],
  };
  if (o.namePrefix) overlay.namePrefix = o.namePrefix;
  if (o.nameSuffix) overlay.nameSuffix = o.nameSuffix;
  if (o.namespace) overlay.namespace = o.namespace;
  if (o.images && o.images.length > 0) overlay.images = o.images.map(parseKustomizeImage);
  if (o.commonLabels && Object.keys(o.commonLabels).length > 0)
    overlay.commonLabels = { ...o.commonLabels };
  if (o.commonAnnotations && Object.keys(o.commonAnnotations).length > 0)
    overlay.commonAnnotations = { ...o.commonAnnotations };
  if (o.replicas && o.replicas.length > 0)
    overlay.replicas = o.replicas.map((r) => ({ name: r.name, count: r.count }));
  if (o.components && o.components.length > 0) {
    const components: string[] = [];
    for (const c of o.components) {
      const abs = resolve(appDir, c);
      if (c.startsWith('/') || !inside(root, abs))
        throw new RepoServerError(
          'ERR_PATH_OUTSIDE_ROOT',
          `kustomize component "${c}" is outside the repository`,
          { security: Refusal.pathTraversal },
        );
      if ((await exists(abs)) === undefined) {
        if (o.ignoreMissingComponents) continue;
        throw new RepoServerError(
          'ERR_PATH_NOT_FOUND',
          `kustomize component "${c}" does not exist (set ignoreMissingComponents to skip missing components)`,
        );
      }
      components.push(relative(overlayDir, abs));
    }
    if (components.length > 0) overlay.components = components;
  }
  return overlay;
}

/** Runs kustomize for an app directory; returns the manifests and the command shown to users. */
export async function renderKustomize(
  run: KustomizeRun,
): Promise<{ objects: ManifestObject[]; command: string }> {
  await (
    run.checkReferences ??
    (() => checkKustomizationReferences(run.root, run.appDir, run.manifestLimits))
  )();
  const tool = requireTool(run.tool ? { kustomize: run.tool } : {}, 'kustomize');
  let target = run.appDir;
  if (hasSourceOptions(run.options)) {
    if (run.workDir === undefined)
      throw new TypeError('renderKustomize needs a workDir for source options');
    const overlayDir = join(run.workDir, 'overlay');
    await mkdir(overlayDir, { recursive: true, mode: 0o700 });
    const overlay = await buildOverlay(run.root, run.appDir, overlayDir, run.options);
    await writeFile(join(overlayDir, 'kustomization.yaml'), JSON.stringify(overlay, null, 2), {
      mode: 0o600,
    });
    target = overlayDir;
  }
  const args = [target, ...run.buildOptions];
  const out = await runTool(tool, args, {
    cwd: run.root,
    home: run.home,
    limits: run.toolLimits,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  const shownTarget = relative(run.root, run.appDir) || '.';
  const command = [tool.display, shownTarget, ...run.buildOptions].join(' ');
  return {
    objects: parseYamlManifests(out, `${tool.display} output`, run.manifestLimits),
    command,
  };
}
