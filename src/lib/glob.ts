/**
 * Glob matching with the semantics of gobwas/glob, which Argo CD uses for RBAC objects, project
 * source repositories and destinations:
 * - `*` any run of characters except separators, `**` any run including separators,
 * - `?` one character except a separator, `[abc]`, `[a-z]`, `[!abc]` character classes,
 * - `{a,b,c}` alternatives (which may hold globs, and nest), `\` escapes the next character.
 * With no separators (RBAC) `*` and `**` both cross `/`.
 *
 * Matching simulates the pattern as an automaton over the input (a set of live positions), so it
 * takes time proportional to pattern length × input length whatever the pattern: a backtracking
 * regular expression would take seconds for `*a*a*a*a*a*b` against a long name, and names come
 * from callers. Compiled patterns are cached in a bounded map.
 */
export interface GlobOptions {
  /** Characters `*` and `?` do not cross; none by default (RBAC). Projects use `['/']`. */
  readonly separators?: readonly string[];
}

/** A compiled glob; `test` has RegExp's shape so callers can treat it like one. */
export interface GlobMatcher {
  test(value: string): boolean;
}

type Token =
  | { readonly t: 'lit'; readonly ch: string }
  | { readonly t: 'one' }
  | { readonly t: 'star'; readonly crossSep: boolean }
  | {
      readonly t: 'class';
      readonly negate: boolean;
      readonly ranges: readonly (readonly [number, number])[];
    };

type Node = Token | { readonly t: 'alt'; readonly options: Node[][] };

const MAX_CACHE = 10_000;
/** Brace alternatives expand to at most this many token sequences (bounds compile work). */
const MAX_ALTERNATIVES = 1024;
const cache = new Map<string, GlobMatcher>();

function parse(pattern: string): Node[] {
  const cps = Array.from(pattern);
  let i = 0;
  const seq = (depth: number): { nodes: Node[]; end: 'eof' | ',' | '}' } => {
    const nodes: Node[] = [];
    while (i < cps.length) {
      const c = cps[i] ?? '';
      if (c === '\\') {
        i++;
        nodes.push({ t: 'lit', ch: cps[i] ?? '\\' });
        i++;
      } else if (c === '*') {
        if (cps[i + 1] === '*') {
          nodes.push({ t: 'star', crossSep: true });
          i += 2;
        } else {
          nodes.push({ t: 'star', crossSep: false });
          i++;
        }
      } else if (c === '?') {
        nodes.push({ t: 'one' });
        i++;
      } else if (c === '[') {
        let j = i + 1;
        let negate = false;
        if (cps[j] === '!') {
          negate = true;
          j++;
        }
        const start = j;
        // a `]` right after `[` or `[!` is a member, as in gobwas
        if (cps[j] === ']') j++;
        while (j < cps.length && cps[j] !== ']') j++;
        if (j >= cps.length) {
          nodes.push({ t: 'lit', ch: '[' });
          i++;
          continue;
        }
        const body = cps.slice(start, j);
        const ranges: [number, number][] = [];
        for (let k = 0; k < body.length; k++) {
          const a = (body[k] ?? '').codePointAt(0) ?? 0;
          if (body[k + 1] === '-' && k + 2 < body.length) {
            const b = (body[k + 2] ?? '').codePointAt(0) ?? 0;
            ranges.push(a <= b ? [a, b] : [b, a]);
            k += 2;
          } else {
            ranges.push([a, a]);
          }
        }
        nodes.push({ t: 'class', negate, ranges });
        i = j + 1;
      } else if (c === '{') {
        i++;
        const options: Node[][] = [];
        for (;;) {
          const r = seq(depth + 1);
          options.push(r.nodes);
          if (r.end !== ',') break;
        }
        nodes.push({ t: 'alt', options });
      } else if (depth > 0 && (c === ',' || c === '}')) {
        i++;
        return { nodes, end: c };
      } else {
        nodes.push({ t: 'lit', ch: c });
        i++;
      }
    }
    return { nodes, end: 'eof' };
  };
  return seq(0).nodes;
}

/** Expands alternatives into plain token sequences (bounded). */
function expand(nodes: readonly Node[]): Token[][] {
  let out: Token[][] = [[]];
  for (const n of nodes) {
    if (n.t === 'alt') {
      const variants = n.options.flatMap((o) => expand(o));
      const next: Token[][] = [];
      for (const prefix of out) {
        for (const v of variants) {
          next.push([...prefix, ...v]);
          if (next.length > MAX_ALTERNATIVES) {
            throw new TypeError(`glob has more than ${MAX_ALTERNATIVES} alternatives`);
          }
        }
      }
      out = next;
    } else {
      for (const prefix of out) prefix.push(n);
    }
  }
  return out;
}

function inClass(tok: Extract<Token, { t: 'class' }>, cp: number): boolean {
  let hit = false;
  for (const [a, b] of tok.ranges) {
    if (cp >= a && cp <= b) {
      hit = true;
      break;
    }
  }
  return tok.negate ? !hit : hit;
}

/** Set-of-positions simulation of one token sequence: O(tokens × input). */
function matchSequence(
  tokens: readonly Token[],
  input: readonly string[],
  seps: ReadonlySet<string>,
): boolean {
  const n = tokens.length;
  let live = new Uint8Array(n + 1);
  const close = (set: Uint8Array): void => {
    // a star may match nothing: whoever reaches it also reaches the token after it
    for (let k = 0; k < n; k++) if (set[k] && tokens[k]?.t === 'star') set[k + 1] = 1;
  };
  live[0] = 1;
  close(live);
  for (const ch of input) {
    const next = new Uint8Array(n + 1);
    let any = false;
    const isSep = seps.has(ch);
    for (let k = 0; k < n; k++) {
      if (!live[k]) continue;
      const tok = tokens[k];
      if (!tok) continue;
      switch (tok.t) {
        case 'lit':
          if (tok.ch === ch) {
            next[k + 1] = 1;
            any = true;
          }
          break;
        case 'one':
          if (!isSep) {
            next[k + 1] = 1;
            any = true;
          }
          break;
        case 'class':
          if (!isSep && inClass(tok, ch.codePointAt(0) ?? 0)) {
            next[k + 1] = 1;
            any = true;
          }
          break;
        case 'star':
          if (tok.crossSep || !isSep) {
            next[k] = 1;
            any = true;
          }
          break;
      }
    }
    if (!any) return false;
    close(next);
    live = next;
  }
  return live[n] === 1;
}

/** Compiles a glob (cached). Throws TypeError for a pattern with too many brace alternatives. */
export function compileGlob(pattern: string, options: GlobOptions = {}): GlobMatcher {
  const sepList = options.separators ?? [];
  const key = `${sepList.join('')}\u0000${pattern}`;
  let m = cache.get(key);
  if (m === undefined) {
    const sequences = expand(parse(pattern));
    const seps = new Set(sepList);
    const literal = sequences.length === 1 && sequences[0]?.every((t) => t.t === 'lit');
    if (literal) {
      m = { test: (value: string) => value === pattern.replace(/\\(.)/gu, '$1') };
    } else {
      m = {
        test: (value: string) => {
          const input = Array.from(value);
          return sequences.some((s) => matchSequence(s, input, seps));
        },
      };
    }
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(key, m);
  }
  return m;
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
