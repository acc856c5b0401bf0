/**
 * The refs a remote advertises (`git ls-remote --symref`) and how a revision resolves against them:
 * an exact ref name, then `refs/heads/<name>`, then `refs/tags/<name>` (annotated tags resolve to
 * the commit they point at), then `HEAD`, then a full commit SHA taken as is. Abbreviated SHAs are
 * resolved by the caller after a fetch.
 */
import { isCommitSha } from './url.js';

export interface RemoteRefs {
  /** ref name -> commit SHA (annotated tags already peeled) */
  readonly refs: ReadonlyMap<string, string>;
  /** the branch HEAD points at (`refs/heads/main`), when the server says */
  readonly headTarget?: string;
  /** the commit of HEAD */
  readonly head?: string;
}

/** Parses `git ls-remote --symref` output. */
export function parseLsRemote(output: string): RemoteRefs {
  const direct = new Map<string, string>();
  const peeled = new Map<string, string>();
  let headTarget: string | undefined;
  let head: string | undefined;
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const left = line.slice(0, tab);
    const name = line.slice(tab + 1);
    if (left.startsWith('ref: ')) {
      if (name === 'HEAD') headTarget = left.slice(5);
      continue;
    }
    if (!isCommitSha(left)) continue;
    if (name === 'HEAD') head = left;
    else if (name.endsWith('^{}')) peeled.set(name.slice(0, -3), left);
    else direct.set(name, left);
  }
  const refs = new Map<string, string>();
  for (const [name, sha] of direct) refs.set(name, peeled.get(name) ?? sha);
  if (head === undefined && headTarget !== undefined) head = refs.get(headTarget);
  return {
    refs,
    ...(headTarget === undefined ? {} : { headTarget }),
    ...(head === undefined ? {} : { head }),
  };
}

/** Resolves a revision to a commit SHA, or undefined when no ref matches. */
export function resolveAgainstRefs(remote: RemoteRefs, revision: string): string | undefined {
  const rev = revision === '' ? 'HEAD' : revision;
  if (rev === 'HEAD') return remote.head;
  const exact = rev.startsWith('refs/') ? remote.refs.get(rev) : undefined;
  if (exact !== undefined) return exact;
  const branch = remote.refs.get(`refs/heads/${rev}`);
  if (branch !== undefined) return branch;
  const tag = remote.refs.get(`refs/tags/${rev}`);
  if (tag !== undefined) return tag;
  if (isCommitSha(rev)) return rev;
  return undefined;
}

/** Branch and tag names (short), sorted. */
export function listBranchesAndTags(remote: RemoteRefs): { branches: string[]; tags: string[] } {
  const branches: string[] = [];
  const tags: string[] = [];
  for (const name of remote.refs.keys()) {
    if (name.startsWith('refs/heads/')) branches.push(name.slice('refs/heads/'.length));
    else if (name.startsWith('refs/tags/')) tags.push(name.slice('refs/tags/'.length));
  }
  return { branches: branches.sort(), tags: tags.sort() };
}

/** Tags (short names) that point at a commit. */
export function tagsAt(remote: RemoteRefs, sha: string): string[] {
  const out: string[] = [];
  for (const [name, target] of remote.refs) {
    if (target === sha && name.startsWith('refs/tags/')) out.push(name.slice('refs/tags/'.length));
  }
  return out.sort();
}
