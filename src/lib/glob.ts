/**
 * Glob matching with the semantics of gobwas/glob, which Argo CD uses for RBAC objects, project
 * source repositories and destinations:
 * - `*` any run of characters except separators, `**` any run including separators,
 * - `?` one character except a separator, `[abc]`, `[a-z]`, `[!abc]` character classes,
 * - `{a,b,c}` alternatives (which may hold globs), `\` escapes the next character.
 * With no separators (RBAC) `*` and `**` both cross `/`. Patterns compile once to a RegExp and are
 * cached in a bounded map.
 */
export interface GlobOptions {
  /** Characters `*` and `?` do not cross; none by default (RBAC). Projects use `['/']`. */
  readonly separators?: readonly string[];
}

const MAX_CACHE = 10_000;
const cache = new Map<string, RegExp>();

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function compileTo(pattern: string, seps: string): string {
  const notSep = seps === '' ? '[\\s\\S]' : `[^${Array.from(seps).map(escapeRegex).join('')}]`;
  let out = '';
  let i = 0;
  const n = pattern.length;
  // depth of `{` alternatives, so that `,` and `}` only act inside them
  let depth = 0;
  while (i < n) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      i++;
      if (i < n) out += escapeRegex(pattern.charAt(i));
      else out += '\\\\';
      i++;
    } else if (c === '*') {
      if (pattern.charAt(i + 1) === '*') {
        out += '[\\s\\S]*';
        i += 2;
      } else {
        out += `${notSep}*`;
        i++;
      }
    } else if (c === '?') {
      out += notSep;
      i++;
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        i++;
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      const cls = Array.from(body)
        .map((ch) => (ch === '-' ? '-' : escapeRegex(ch)))
        .join('');
      out += negate
        ? `[^${cls}${seps === '' ? '' : Array.from(seps).map(escapeRegex).join('')}]`
        : `[${cls}]`;
      i = close + 1;
    } else if (c === '{') {
      depth++;
      out += '(?:';
      i++;
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
      i++;
    } else if (c === ',' && depth > 0) {
      out += '|';
      i++;
    } else {
      out += escapeRegex(c);
      i++;
    }
  }
  while (depth-- > 0) out += ')';
  return out;
}

/** Compiles a glob to an anchored RegExp (cached). */
export function compileGlob(pattern: string, options: GlobOptions = {}): RegExp {
  const seps = (options.separators ?? []).join('');
  const key = `${seps}\u0000${pattern}`;
  let re = cache.get(key);
  if (re === undefined) {
    re = new RegExp(`^${compileTo(pattern, seps)}$`, 'u');
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/**
 * Tests `value` against a gobwas-style glob.
 * @example
 * globMatch('*', 'team-a/app') // true: no separators, as in RBAC
 * globMatch('https://github.com/*', 'https://github.com/a/b', { separators: ['/'] }) // false
 */
export function globMatch(pattern: string, value: string, options: GlobOptions = {}): boolean {
  return compileGlob(pattern, options).test(value);
}
