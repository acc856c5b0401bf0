/**
 * Pattern matchers for the resource, action and object fields of `p` lines, compiled once per
 * policy load.
 *
 * Glob mode has gobwas/glob semantics without separators, as Argo CD's `globOrRegexMatch`: `*`
 * (and `**`) any run of characters including `/`, `?` one character, `[abc]`, `[a-z]`, `[!abc]`
 * classes, `{a,b}` alternatives (nestable), `\` escapes the next character. It is matched by a
 * linear-time segment matcher, not a backtracking regular expression: with a regex, a pattern like
 * `*a*a*a*a*a*b` against a 120-character object name takes seconds, and object names come from
 * callers. Common shapes (a literal, `*`, `prefix*`, `*suffix`) are plain string operations.
 *
 * Regex mode is an unanchored `RegExp.test`, as casbin's `regexMatch`.
 */

export type MatchMode = 'glob' | 'regex';
export const MatchModes: readonly MatchMode[] = ['glob', 'regex'];

export type Matcher = (value: string) => boolean;

export type CompileResult =
  | { readonly ok: true; readonly match: Matcher; readonly warning?: string }
  | { readonly ok: false; readonly message: string };

/** Brace alternatives are expanded; more than this many variants is refused. */
export const MAX_GLOB_ALTERNATIVES = 256;

const GLOB_SPECIAL = /[*?[\]{}\\]/;
const SURROGATE = /[\uD800-\uDFFF]/;
const matchAll: Matcher = () => true;

/** One character of a segment: a literal code point, any code point, or a class. */
type Atom = string | typeof ANY | CharClass;
const ANY = 0;
interface CharClass {
  readonly negate: boolean;
  /** inclusive code point ranges */
  readonly ranges: readonly (readonly [number, number])[];
}

/** A glob without alternatives: fixed-length segments separated by stars. */
interface Shape {
  readonly segments: readonly (readonly Atom[])[];
  /** true when the pattern has at least one star (segments.length - 1 stars) */
  readonly starred: boolean;
}

type Node = Atom | typeof STAR | { readonly alternatives: Node[][] };
const STAR = 1;

interface Parsed {
  readonly nodes: Node[];
  readonly emptyRange: boolean;
}

/** Parses gobwas syntax (as `src/lib` `compileGlob` reads it) into nodes. */
function parseGlob(pattern: string): Parsed {
  const cps = Array.from(pattern);
  let i = 0;
  let emptyRange = false;
  const parseSeq = (depth: number): Node[] => {
    const out: Node[] = [];
    while (i < cps.length) {
      const c = cps[i] ?? '';
      if (c === '\\') {
        i++;
        out.push(i < cps.length ? (cps[i] ?? '') : '\\');
        i++;
      } else if (c === '*') {
        while (cps[i] === '*') i++;
        out.push(STAR);
      } else if (c === '?') {
        out.push(ANY);
        i++;
      } else if (c === '[') {
        const close = cps.indexOf(']', i + 2);
        if (close < 0) {
          out.push('[');
          i++;
          continue;
        }
        let body = cps.slice(i + 1, close);
        const negate = body[0] === '!';
        if (negate) body = body.slice(1);
        const ranges: [number, number][] = [];
        for (let k = 0; k < body.length;) {
          const lo = (body[k] ?? '').codePointAt(0) ?? 0;
          if (body[k + 1] === '-' && k + 2 < body.length) {
            const hi = (body[k + 2] ?? '').codePointAt(0) ?? 0;
            if (hi < lo) emptyRange = true;
            ranges.push([lo, hi]);
            k += 3;
          } else {
            ranges.push([lo, lo]);
            k++;
          }
        }
        out.push({ negate, ranges });
        i = close + 1;
      } else if (c === '{') {
        i++;
        const alternatives: Node[][] = [parseSeq(depth + 1)];
        while (cps[i] === ',') {
          i++;
          alternatives.push(parseSeq(depth + 1));
        }
        if (cps[i] === '}') i++;
        out.push({ alternatives });
      } else if ((c === ',' || c === '}') && depth > 0) {
        return out;
      } else {
        out.push(c);
        i++;
      }
    }
    return out;
  };
  const nodes = parseSeq(0);
  return { nodes, emptyRange };
}

/** Expands alternatives into plain shapes; undefined when there would be too many. */
function expand(nodes: readonly Node[]): Shape[] | undefined {
  let variants: (Atom | typeof STAR)[][] = [[]];
  for (const n of nodes) {
    if (typeof n === 'object' && 'alternatives' in n) {
      const next: (Atom | typeof STAR)[][] = [];
      for (const alt of n.alternatives) {
        const sub = expand(alt);
        if (sub === undefined) return undefined;
        for (const v of variants) {
          for (const s of sub) {
            next.push([...v, ...unshape(s)]);
            if (next.length > MAX_GLOB_ALTERNATIVES) return undefined;
          }
        }
      }
      variants = next;
    } else {
      for (const v of variants) v.push(n);
    }
  }
  return variants.map(toShape);
}

function unshape(s: Shape): (Atom | typeof STAR)[] {
  const out: (Atom | typeof STAR)[] = [];
  s.segments.forEach((seg, k) => {
    if (k > 0) out.push(STAR);
    out.push(...seg);
  });
  return out;
}

function toShape(tokens: readonly (Atom | typeof STAR)[]): Shape {
  const segments: Atom[][] = [[]];
  let starred = false;
  for (const t of tokens) {
    if (t === STAR) {
      // `a**b` and `a*{,}*b` are one star
      const last = segments[segments.length - 1];
      if (starred && last !== undefined && last.length === 0 && segments.length > 1) continue;
      starred = true;
      segments.push([]);
    } else {
      segments[segments.length - 1]?.push(t);
    }
  }
  return { segments, starred };
}

function atomMatches(atom: Atom, ch: string): boolean {
  if (typeof atom === 'string') return atom === ch;
  if (atom === ANY) return true;
  const cp = ch.codePointAt(0) ?? -1;
  let inside = false;
  for (const [lo, hi] of atom.ranges) {
    if (cp >= lo && cp <= hi) {
      inside = true;
      break;
    }
  }
  return inside !== atom.negate;
}

/** Does `seg` match `chars` at position `at`? */
function segmentAt(seg: readonly Atom[], chars: ArrayLike<string>, at: number): boolean {
  for (let j = 0; j < seg.length; j++) {
    const ch = chars[at + j];
    if (ch === undefined || !atomMatches(seg[j] ?? '', ch)) return false;
  }
  return true;
}

/**
 * Matches a shape in O(length x pattern): the first segment is a prefix, the last a suffix, and
 * each middle segment is taken at its leftmost position (optimal because segments have fixed
 * lengths, so the leftmost match leaves the most room for the rest).
 */
function matchShape(shape: Shape, chars: ArrayLike<string>): boolean {
  const n = chars.length;
  const segs = shape.segments;
  const first = segs[0] ?? [];
  if (!shape.starred) return first.length === n && segmentAt(first, chars, 0);
  const last = segs[segs.length - 1] ?? [];
  if (first.length + last.length > n) return false;
  if (!segmentAt(first, chars, 0) || !segmentAt(last, chars, n - last.length)) return false;
  let pos = first.length;
  const limit = n - last.length;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k] ?? [];
    let found = -1;
    for (let at = pos; at + seg.length <= limit; at++) {
      if (segmentAt(seg, chars, at)) {
        found = at;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return true;
}

function compileGlobMatcher(pattern: string): CompileResult {
  if (pattern === '*' || pattern === '**') return { ok: true, match: matchAll };
  if (!GLOB_SPECIAL.test(pattern)) return { ok: true, match: (v) => v === pattern };
  const first = pattern.indexOf('*');
  if (first === pattern.length - 1 && !GLOB_SPECIAL.test(pattern.slice(0, first))) {
    const prefix = pattern.slice(0, first);
    return { ok: true, match: (v) => v.startsWith(prefix) };
  }
  const rest = pattern.slice(first + 1);
  if (first === 0 && rest !== '' && !GLOB_SPECIAL.test(rest)) {
    return { ok: true, match: (v) => v.endsWith(rest) };
  }
  const parsed = parseGlob(pattern);
  const shapes = expand(parsed.nodes);
  if (shapes === undefined) {
    return {
      ok: false,
      message: `"${pattern}" expands to more than ${MAX_GLOB_ALTERNATIVES} alternatives; split it into several lines`,
    };
  }
  const match: Matcher = (v) => {
    // index by code point only when the value has characters outside the BMP
    const chars: ArrayLike<string> = SURROGATE.test(v) ? Array.from(v) : v;
    for (const s of shapes) if (matchShape(s, chars)) return true;
    return false;
  };
  return parsed.emptyRange
    ? {
        ok: true,
        match,
        warning: `"${pattern}" has a range whose end is below its start ([z-a]); that class matches nothing`,
      }
    : { ok: true, match };
}

/** Nested repetition (`(a+)+`) can backtrack exponentially in JavaScript (Go's RE2 cannot). */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)(?:[*+]|\{\d)/;

/**
 * Compiles one pattern. Regex mode reports a pattern JavaScript cannot compile (Argo CD would
 * fail the check at run time instead) and warns about nested repetition.
 * @example
 * const r = compilePattern('team-a/*', 'glob'); r.ok && r.match('team-a/web/x') // true
 */
export function compilePattern(pattern: string, mode: MatchMode): CompileResult {
  if (mode === 'glob') return compileGlobMatcher(pattern);
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, message: `"${pattern}" is not a valid regular expression (${detail})` };
  }
  const match: Matcher = (v) => re.test(v);
  return NESTED_QUANTIFIER.test(pattern)
    ? {
        ok: true,
        match,
        warning: `"${pattern}" nests repetition, which can take exponential time on crafted names in JavaScript (Go's engine is linear); rewrite it without a repeated group that itself repeats`,
      }
    : { ok: true, match };
}
