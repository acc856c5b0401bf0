/**
 * Pattern matchers for the resource, action and object fields of `p` lines, compiled once per
 * policy load. Glob mode is gobwas/glob without separators (`*` crosses `/`), as Argo CD's
 * `globOrRegexMatch`; regex mode is an unanchored `RegExp.test`, as casbin's `regexMatch`.
 * Common glob shapes (a literal, `*`, `prefix*`, `*suffix`) skip the regex engine entirely.
 */
import { compileGlob } from '../lib/index.js';

export type MatchMode = 'glob' | 'regex';
export const MatchModes: readonly MatchMode[] = ['glob', 'regex'];

export type Matcher = (value: string) => boolean;

const GLOB_SPECIAL = /[*?[\]{}\\]/;
const matchAll: Matcher = () => true;

export type CompileResult =
  { readonly ok: true; readonly match: Matcher } | { readonly ok: false; readonly message: string };

function compileGlobMatcher(pattern: string): Matcher {
  if (pattern === '*' || pattern === '**') return matchAll;
  if (!GLOB_SPECIAL.test(pattern)) return (v) => v === pattern;
  const first = pattern.indexOf('*');
  const rest = first >= 0 ? pattern.slice(first + 1) : '';
  if (first === pattern.length - 1 && !GLOB_SPECIAL.test(pattern.slice(0, first))) {
    const prefix = pattern.slice(0, first);
    return (v) => v.startsWith(prefix);
  }
  if (first === 0 && rest !== '' && !GLOB_SPECIAL.test(rest)) {
    return (v) => v.endsWith(rest);
  }
  const re = compileGlob(pattern);
  return (v) => re.test(v);
}

/**
 * Compiles one pattern. Regex mode reports a pattern JavaScript cannot compile (Argo CD would
 * fail the check at run time instead).
 * @example
 * const r = compilePattern('team-a/*', 'glob'); r.ok && r.match('team-a/web/x') // true
 */
export function compilePattern(pattern: string, mode: MatchMode): CompileResult {
  if (mode === 'glob') return { ok: true, match: compileGlobMatcher(pattern) };
  try {
    const re = new RegExp(pattern);
    return { ok: true, match: (v) => re.test(v) };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, message: `"${pattern}" is not a valid regular expression (${detail})` };
  }
}
