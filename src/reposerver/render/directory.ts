/**
 * Directory applications: every `.yaml`, `.yml` and `.json` file of the app directory (and its
 * subdirectories with `recurse`), filtered by the `include`/`exclude` globs (gobwas semantics
 * without separators, matched against the path relative to the app directory, as Argo CD does),
 * parsed with the limits of `manifests.ts`. Hidden subdirectories are skipped; symlinked files
 * are read (the out-of-bounds check ran before), symlinked directories are not descended.
 *
 * The combined size of the selected files is checked against
 * `--max-combined-directory-manifests-size` before any file is read.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { globMatch } from '../../lib/index.js';
import { RepoServerError } from '../errors.js';
import { Refusal } from '../security.js';
import {
  parseJsonManifest,
  parseYamlManifests,
  type ManifestLimits,
  type ManifestObject,
} from './manifests.js';

export interface DirectoryOptions {
  readonly recurse: boolean;
  readonly include?: string;
  readonly exclude?: string;
  /** `--max-combined-directory-manifests-size` in bytes */
  readonly maxCombinedBytes: number;
  readonly limits: ManifestLimits;
}

interface ManifestFile {
  /** relative to the app directory, `/`-separated */
  readonly rel: string;
  readonly abs: string;
}

const MANIFEST_FILE = /\.(ya?ml|json|jsonnet|libsonnet)$/;
const READ_CONCURRENCY = 32;

async function listFiles(appDir: string, recurse: boolean): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (!recurse || e.name.startsWith('.')) continue;
        await walk(abs, childRel);
      } else if (MANIFEST_FILE.test(e.name)) {
        if (e.isSymbolicLink()) {
          const target = await stat(abs).catch(() => undefined);
          if (!target?.isFile()) continue;
        } else if (!e.isFile()) {
          continue;
        }
        out.push({ rel: childRel, abs });
      }
    }
  };
  await walk(appDir, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as T;
      results[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The files a directory app selects (after include/exclude), sorted by relative path. */
export async function selectDirectoryFiles(
  appDir: string,
  opts: Pick<DirectoryOptions, 'recurse' | 'include' | 'exclude'>,
): Promise<ManifestFile[]> {
  const files = await listFiles(appDir, opts.recurse);
  return files.filter((f) => {
    if (opts.exclude && globMatch(opts.exclude, f.rel)) return false;
    if (opts.include && !globMatch(opts.include, f.rel)) return false;
    return true;
  });
}

/** Renders a directory app into manifest objects, in file order. */
export async function renderDirectory(
  appDir: string,
  opts: DirectoryOptions,
): Promise<ManifestObject[]> {
  const files = await selectDirectoryFiles(appDir, opts);
  const jsonnet = files.find((f) => /\.(jsonnet|libsonnet)$/.test(f.rel));
  if (jsonnet)
    throw new RepoServerError(
      'ERR_UNSUPPORTED',
      `failed to render directory: "${jsonnet.rel}" is Jsonnet, which argocd-ts does not render; exclude it with directory.exclude or convert it to YAML`,
    );
  const sizes = await mapLimited(files, READ_CONCURRENCY, async (f) => (await stat(f.abs)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > opts.maxCombinedBytes)
    throw new RepoServerError(
      'ERR_MANIFEST_TOO_LARGE',
      `failed to render directory: its manifests total ${total} bytes, over the limit of ${opts.maxCombinedBytes} bytes set by --max-combined-directory-manifests-size (reposerver.max.combined.directory.manifests.size in argocd-cmd-params-cm)`,
      { security: Refusal.sizeLimit },
    );
  const parsed = await mapLimited(files, READ_CONCURRENCY, async (f) => {
    const text = await readFile(f.abs, 'utf8');
    return f.rel.endsWith('.json')
      ? parseJsonManifest(text, f.rel, opts.limits)
      : parseYamlManifests(text, f.rel, opts.limits);
  });
  return parsed.flat();
}
