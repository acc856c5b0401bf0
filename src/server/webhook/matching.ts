/**
 * Which applications a push affects (Argo CD's `HandleEvent`): an app is refreshed when one of its
 * sources
 * - uses the pushed repository: the URLs compare equal after normalisation (scheme, user, port,
 *   `.git` and case ignored; scp-style `git@host:org/repo` read as `host/org/repo`), and
 * - tracks the pushed revision: its `targetRevision` (with `refs/heads/` / `refs/tags/` removed)
 *   equals one of the pushed revisions, or it tracks `HEAD` (or nothing) and the push moved the
 *   default branch, and
 * - has changed files, when the app names paths in `argocd.argoproj.io/manifest-generate-paths`
 *   (`;`-separated; relative to the source path, or to the repository root with a leading `/`;
 *   globs allowed) and the payload lists changed files: at least one file is under one of them.
 */
import { posix } from 'node:path';
import {
  Annotations,
  getSources,
  type Application,
  type ApplicationSource,
} from '../../apis/index.js';
import { globMatch } from '../../lib/index.js';
import { parseRevision, type PushEvent } from './providers.js';

/** `host/path` of a repository URL, lower-cased, for comparison; undefined when unreadable. */
export function repoKey(url: string): string | undefined {
  const u = url.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(u);
  if (scp && !u.includes('://')) {
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return undefined;
    }
    host = parsed.hostname;
    path = decodeURIComponent(parsed.pathname);
  }
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '');
  if (host === '' || path === '') return undefined;
  return `${host}/${path}`.toLowerCase();
}

/** Whether the source tracks a revision the push moved. */
export function revisionAffected(source: ApplicationSource, push: PushEvent): boolean {
  const target = parseRevision(source.targetRevision ?? '');
  if (target === '' || target === 'HEAD') return push.touchedHead;
  return push.revisions.includes(target);
}

/** Paths of `manifest-generate-paths`, repository-relative. */
export function refreshPaths(app: Pick<Application, 'metadata' | 'spec'>): string[] {
  const value = app.metadata.annotations?.[Annotations.manifestGeneratePaths];
  if (value === undefined || value.trim() === '') return [];
  const out: string[] = [];
  for (const item of value.split(';').map((s) => s.trim())) {
    if (item === '') continue;
    if (item.startsWith('/')) out.push(posix.normalize(item.slice(1)));
    else
      for (const s of getSources(app.spec))
        out.push(posix.normalize(posix.join(s.path ?? '', item)));
  }
  return out;
}

function abs(p: string): string {
  return posix.normalize(`/${p}`);
}

/** Whether a push with `changed` files concerns an app watching `paths`. */
export function filesAffect(paths: readonly string[], changed: readonly string[]): boolean {
  if (changed.length === 0 || paths.length === 0) return true;
  for (const f of changed) {
    const file = abs(f);
    for (const p of paths) {
      const dir = abs(p);
      if (file === dir) return true;
      if (file.startsWith(dir === '/' ? '/' : `${dir}/`)) return true;
      if (globMatch(dir, file, { separators: ['/'] })) return true;
    }
  }
  return false;
}

/** Names of the apps the push affects. */
export function affectedApps(
  apps: Iterable<Pick<Application, 'metadata' | 'spec'>>,
  push: PushEvent,
): string[] {
  const keys = new Set(push.repoUrls.map(repoKey).filter((k): k is string => k !== undefined));
  if (keys.size === 0) return [];
  const out: string[] = [];
  for (const app of apps) {
    const name = app.metadata.name;
    if (name === undefined) continue;
    const hit = getSources(app.spec).some((s) => {
      const k = repoKey(s.repoURL);
      return k !== undefined && keys.has(k) && revisionAffected(s, push);
    });
    if (hit && filesAffect(refreshPaths(app), push.changedFiles)) out.push(name);
  }
  return out;
}
