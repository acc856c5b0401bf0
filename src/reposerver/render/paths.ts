/**
 * Path protections of the repo server (Argo CD's app path, out-of-bounds symlink and value file
 * rules, interfaces §5.5):
 * - `resolveAppPath`: the application path is relative; joined to the checkout it must stay
 *   inside (after symlinks too), exist and be a directory;
 * - `findOutOfBoundsSymlink`: walks the checkout (skipping `.git`) before any tool runs; a symlink
 *   with an absolute target, or a relative target that leaves the root at any step when walked
 *   component by component from the link's directory, is refused;
 * - `resolveValueFile`: a Helm value file (or file parameter) is either a URL whose scheme is in
 *   `helm.valuesFileSchemes`, or a path: relative to the app directory, or absolute meaning
 *   relative to the repository root; after symlinks it must be strictly inside the root.
 * Refusals are `RepoServerError`s; the caller logs the security event.
 */
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RepoServerError } from '../errors.js';
import { Refusal } from '../security.js';

function isInside(root: string, path: string, allowRoot: boolean): boolean {
  if (path === root) return allowRoot;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return path.startsWith(prefix);
}

function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/**
 * Resolves the application path inside a checkout; returns the absolute directory.
 * @example
 * await resolveAppPath('/cache/checkouts/x', 'apps/guestbook') // '/cache/checkouts/x/apps/guestbook'
 * await resolveAppPath('/cache/checkouts/x', '../y') // throws ERR_PATH_OUTSIDE_ROOT
 */
export async function resolveAppPath(root: string, appPath: string): Promise<string> {
  const p = appPath.trim() === '' ? '.' : appPath.trim();
  if (isAbsolute(p) || p.startsWith('\\'))
    throw new RepoServerError(
      'ERR_PATH_OUTSIDE_ROOT',
      `application path "${p}" is absolute: give a path relative to the repository root`,
      { security: Refusal.pathTraversal },
    );
  if (p.includes('\u0000'))
    throw new RepoServerError(
      'ERR_PATH_OUTSIDE_ROOT',
      'application path contains a NUL character',
      { security: Refusal.pathTraversal },
    );
  const joined = resolve(root, p);
  if (!isInside(root, joined, true))
    throw new RepoServerError(
      'ERR_PATH_OUTSIDE_ROOT',
      `application path "${p}" points outside the repository: remove the ".." that climbs above its root`,
      { security: Refusal.pathTraversal },
    );
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw new RepoServerError(
      'ERR_PATH_NOT_FOUND',
      `application path "${p}" does not exist in the repository at this revision`,
    );
  }
  const realRoot = await realpath(root);
  if (!isInside(realRoot, real, true))
    throw new RepoServerError(
      'ERR_PATH_OUTSIDE_ROOT',
      `application path "${p}" resolves outside the repository through a symlink`,
      { security: Refusal.oobSymlink },
    );
  const info = await stat(real);
  if (!info.isDirectory())
    throw new RepoServerError(
      'ERR_PATH_NOT_FOUND',
      `application path "${p}" is not a directory: point it at the directory that holds the manifests`,
    );
  return joined;
}

/** A symlink that leaves the root: its path relative to the root and its target. */
export interface OutOfBoundsSymlink {
  readonly file: string;
  readonly target: string;
}

/** Checks one symlink target the way Argo CD does (see the module comment). */
export function symlinkLeavesRoot(root: string, linkPath: string, target: string): boolean {
  if (isAbsolute(target)) return true;
  let current = dirname(linkPath);
  for (const part of target.split('/')) {
    current = join(current, part);
    if (escapes(relative(root, current))) return true;
  }
  return false;
}

/**
 * Walks `root` (not following symlinks; skipping `.git`) and returns the first symlink that
 * leaves it, or undefined when there is none.
 */
export async function findOutOfBoundsSymlink(
  root: string,
): Promise<OutOfBoundsSymlink | undefined> {
  const pending: string[] = [root];
  while (pending.length > 0) {
    const dir = pending.pop();
    if (dir === undefined) break;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === '.git' && dir === root) continue;
        pending.push(p);
      } else if (e.isSymbolicLink()) {
        const target = await readlink(p);
        if (symlinkLeavesRoot(root, p, target)) return { file: relative(root, p), target };
      } else if (e.name === '.git' && dir === root) {
        continue;
      }
    }
  }
  return undefined;
}

export type ResolvedValueFile =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'missing'; readonly path: string };

const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Resolves a Helm value file or file parameter (see the module comment). A missing local file is
 * returned as `missing` (the caller decides with `ignoreMissingValueFiles`).
 */
export async function resolveValueFile(
  root: string,
  appDir: string,
  valueFile: string,
  allowedSchemes: readonly string[],
): Promise<ResolvedValueFile> {
  const scheme = URL_SCHEME.exec(valueFile)?.[1];
  if (scheme !== undefined && !/^[A-Za-z]$/.test(scheme)) {
    if (allowedSchemes.some((s) => s.toLowerCase() === scheme.toLowerCase()))
      return { kind: 'url', url: valueFile };
    throw new RepoServerError(
      'ERR_URL_SCHEME_NOT_ALLOWED',
      `value file "${valueFile}" uses the URL scheme "${scheme}", which is not allowed (helm.valuesFileSchemes: ${allowedSchemes.join(',') || 'none'})`,
      { security: Refusal.ssrf },
    );
  }
  const candidate = isAbsolute(valueFile) ? join(root, valueFile) : resolve(appDir, valueFile);
  if (!isInside(root, candidate, false))
    throw new RepoServerError(
      'ERR_PATH_OUTSIDE_ROOT',
      `value file "${valueFile}" resolves outside the repository`,
      { security: Refusal.pathTraversal },
    );
  let real: string;
  try {
    await lstat(candidate);
    real = await realpath(candidate);
  } catch {
    return { kind: 'missing', path: candidate };
  }
  const realRoot = await realpath(root);
  if (!isInside(realRoot, real, false))
    throw new RepoServerError(
      'ERR_PATH_OUTSIDE_ROOT',
      `value file "${valueFile}" resolves outside the repository through a symlink`,
      { security: Refusal.oobSymlink },
    );
  return { kind: 'file', path: real };
}
