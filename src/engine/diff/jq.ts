/**
 * A safe subset of jq path expressions for `ignoreDifferences.jqPathExpressions` (Argo CD runs
 * `del(<expr>)` with gojq). Supported (see docs/engine.md, "jq subset"):
 *
 * - paths: `.a.b`, `."a.b"`, `.["a.b"]`, `.a[0]`, `.a[]` (every element or value), `?` after any
 *   step (`.webhooks[]?.clientConfig.caBundle`), `.` alone;
 * - pipes: `path | path`, `path | select(cond)`;
 * - conditions: `A == B`, `A != B`, `cond and cond`, `cond or cond`, `not`-free parentheses,
 *   a bare path (truthy), `A | startswith("x")`, `A | endswith("x")`, `A | contains("x")`,
 *   `has("key")`; operands are paths relative to the selected value or literals (strings,
 *   numbers, true, false, null).
 *
 * Anything else (functions, arithmetic, recursion `..`, variables, regexes) is refused at compile
 * time with an error naming the expression: an ignore rule is never silently dropped.
 */
import { EngineError } from '../errors.js';
import type { JsonPath } from './json-pointer.js';

type Step =
  | { readonly t: 'key'; readonly key: string; readonly opt: boolean }
  | { readonly t: 'index'; readonly index: number; readonly opt: boolean }
  | { readonly t: 'iter'; readonly opt: boolean };

type Literal = string | number | boolean | null;

type Operand =
  | { readonly t: 'path'; readonly steps: readonly Step[] }
  | { readonly t: 'lit'; readonly value: Literal };

type Cond =
  | { readonly t: 'cmp'; readonly op: '==' | '!='; readonly a: Operand; readonly b: Operand }
  | { readonly t: 'truthy'; readonly a: Operand }
  | {
      readonly t: 'fn';
      readonly fn: 'startswith' | 'endswith' | 'contains';
      readonly a: Operand;
      readonly arg: string;
    }
  | { readonly t: 'has'; readonly key: string }
  | { readonly t: 'and' | 'or'; readonly l: Cond; readonly r: Cond };

type Term =
  | { readonly t: 'path'; readonly steps: readonly Step[] }
  | { readonly t: 'select'; readonly cond: Cond };

/** A compiled expression. */
export interface JqProgram {
  readonly source: string;
  readonly terms: readonly Term[];
}

type Tok =
  | { k: 'dot' | 'lb' | 'rb' | 'lp' | 'rp' | 'pipe' | 'q' | 'eq' | 'ne' | 'comma' | 'end' }
  | { k: 'ident'; v: string }
  | { k: 'str'; v: string }
  | { k: 'num'; v: number };

class JqSyntaxError extends Error {}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '.') {
      if (src[i + 1] === '.') throw new JqSyntaxError('recursive descent ".." is not supported');
      out.push({ k: 'dot' });
      i++;
    } else if (c === '[') {
      out.push({ k: 'lb' });
      i++;
    } else if (c === ']') {
      out.push({ k: 'rb' });
      i++;
    } else if (c === '(') {
      out.push({ k: 'lp' });
      i++;
    } else if (c === ')') {
      out.push({ k: 'rp' });
      i++;
    } else if (c === '|') {
      out.push({ k: 'pipe' });
      i++;
    } else if (c === '?') {
      out.push({ k: 'q' });
      i++;
    } else if (c === ',') {
      out.push({ k: 'comma' });
      i++;
    } else if (c === '=' && src[i + 1] === '=') {
      out.push({ k: 'eq' });
      i += 2;
    } else if (c === '!' && src[i + 1] === '=') {
      out.push({ k: 'ne' });
      i += 2;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        const d = src[j];
        if (d === undefined) throw new JqSyntaxError('unterminated string');
        if (d === '"') break;
        if (d === '\\') {
          const e = src[j + 1];
          if (e === '"' || e === '\\' || e === '/') s += e;
          else if (e === 'n') s += '\n';
          else if (e === 't') s += '\t';
          else if (e === '(') throw new JqSyntaxError('string interpolation is not supported');
          else throw new JqSyntaxError(`escape "\\${e ?? ''}" is not supported`);
          j += 2;
          continue;
        }
        s += d;
        j++;
      }
      out.push({ k: 'str', v: s });
      i = j + 1;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new JqSyntaxError(`unexpected "${c}"`);
      out.push({ k: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      const v = m?.[0] ?? c;
      out.push({ k: 'ident', v });
      i += v.length;
    } else if (c === '$') {
      throw new JqSyntaxError('variables are not supported');
    } else {
      throw new JqSyntaxError(`operator "${c}" is not supported`);
    }
  }
  out.push({ k: 'end' });
  return out;
}

class Parser {
  private i = 0;
  private readonly toks: readonly Tok[];
  constructor(toks: readonly Tok[]) {
    this.toks = toks;
  }

  private peek(): Tok {
    return this.toks[this.i] ?? { k: 'end' };
  }
  private next(): Tok {
    const t = this.peek();
    this.i++;
    return t;
  }
  private expect(k: Tok['k'], what: string): Tok {
    const t = this.next();
    if (t.k !== k) throw new JqSyntaxError(`expected ${what}`);
    return t;
  }

  program(): Term[] {
    const terms: Term[] = [this.term()];
    while (this.peek().k === 'pipe') {
      this.next();
      terms.push(this.term());
    }
    if (this.peek().k !== 'end') throw new JqSyntaxError('unexpected input after the expression');
    return terms;
  }

  private term(): Term {
    const t = this.peek();
    if (t.k === 'dot') return { t: 'path', steps: this.path() };
    if (t.k === 'ident' && t.v === 'select') {
      this.next();
      this.expect('lp', '"(" after select');
      const cond = this.cond();
      this.expect('rp', '")" closing select(');
      return { t: 'select', cond };
    }
    if (t.k === 'ident') throw new JqSyntaxError(`function "${t.v}" is not supported here`);
    throw new JqSyntaxError('expected a path starting with "." or select(...)');
  }

  /** `.`, `.a`, `."a"`, `.[...]`, `.a[0][]?` ... */
  private path(): Step[] {
    const steps: Step[] = [];
    this.expect('dot', '"."');
    let first = true;
    for (;;) {
      const t = this.peek();
      if (t.k === 'ident' && first) {
        this.next();
        steps.push({ t: 'key', key: t.v, opt: this.optional() });
      } else if (t.k === 'str' && first) {
        this.next();
        steps.push({ t: 'key', key: t.v, opt: this.optional() });
      } else if (t.k === 'lb') {
        this.next();
        const u = this.next();
        if (u.k === 'rb') steps.push({ t: 'iter', opt: this.optional() });
        else if (u.k === 'num') {
          if (!Number.isInteger(u.v)) throw new JqSyntaxError('array index must be an integer');
          this.expect('rb', '"]"');
          steps.push({ t: 'index', index: u.v, opt: this.optional() });
        } else if (u.k === 'str') {
          this.expect('rb', '"]"');
          steps.push({ t: 'key', key: u.v, opt: this.optional() });
        } else
          throw new JqSyntaxError('only [], [<integer>] and ["key"] are supported in brackets');
      } else if (t.k === 'dot') {
        this.next();
        const u = this.peek();
        if (u.k === 'ident' || u.k === 'str') {
          this.next();
          steps.push({ t: 'key', key: u.v, opt: this.optional() });
        } else if (u.k !== 'lb') throw new JqSyntaxError('expected a field name after "."');
      } else break;
      first = false;
    }
    return steps;
  }

  private optional(): boolean {
    let opt = false;
    while (this.peek().k === 'q') {
      this.next();
      opt = true;
    }
    return opt;
  }

  private cond(): Cond {
    let l = this.andCond();
    while (this.isIdent('or')) {
      this.next();
      l = { t: 'or', l, r: this.andCond() };
    }
    return l;
  }

  private andCond(): Cond {
    let l = this.atom();
    while (this.isIdent('and')) {
      this.next();
      l = { t: 'and', l, r: this.atom() };
    }
    return l;
  }

  private isIdent(v: string): boolean {
    const t = this.peek();
    return t.k === 'ident' && t.v === v;
  }

  private atom(): Cond {
    const t = this.peek();
    if (t.k === 'lp') {
      this.next();
      const c = this.cond();
      this.expect('rp', '")"');
      return c;
    }
    if (t.k === 'ident' && t.v === 'has') {
      this.next();
      this.expect('lp', '"(" after has');
      const s = this.next();
      if (s.k !== 'str') throw new JqSyntaxError('has() takes a string');
      this.expect('rp', '")"');
      return { t: 'has', key: s.v };
    }
    const a = this.operand();
    const op = this.peek();
    if (op.k === 'eq' || op.k === 'ne') {
      this.next();
      return { t: 'cmp', op: op.k === 'eq' ? '==' : '!=', a, b: this.operand() };
    }
    if (op.k === 'pipe') {
      this.next();
      const f = this.next();
      if (f.k !== 'ident' || (f.v !== 'startswith' && f.v !== 'endswith' && f.v !== 'contains')) {
        throw new JqSyntaxError(
          'only startswith("..."), endswith("...") and contains("...") may follow "|" in select',
        );
      }
      this.expect('lp', `"(" after ${f.v}`);
      const s = this.next();
      if (s.k !== 'str') throw new JqSyntaxError(`${f.v}() takes a string`);
      this.expect('rp', '")"');
      return { t: 'fn', fn: f.v, a, arg: s.v };
    }
    return { t: 'truthy', a };
  }

  private operand(): Operand {
    const t = this.peek();
    if (t.k === 'dot') return { t: 'path', steps: this.path() };
    this.next();
    if (t.k === 'str' || t.k === 'num') return { t: 'lit', value: t.v };
    if (t.k === 'ident') {
      if (t.v === 'true') return { t: 'lit', value: true };
      if (t.v === 'false') return { t: 'lit', value: false };
      if (t.v === 'null') return { t: 'lit', value: null };
      throw new JqSyntaxError(`function "${t.v}" is not supported`);
    }
    throw new JqSyntaxError('expected a path or a literal');
  }
}

/**
 * Compiles a jq path expression of the supported subset.
 * @throws EngineError `ERR_ENGINE_UNSUPPORTED_JQ` naming the expression and the reason.
 */
export function compileJq(source: string): JqProgram {
  try {
    if (source.length > 1024) throw new JqSyntaxError('expression longer than 1024 characters');
    return { source, terms: new Parser(tokenize(source)).program() };
  } catch (err) {
    if (err instanceof JqSyntaxError) {
      throw new EngineError(
        'ERR_ENGINE_UNSUPPORTED_JQ',
        `failed to compile jqPathExpression ${JSON.stringify(source)}: ${err.message}; supported are paths (.a.b, .a[], .a[0], ."k"), "|" and select() with ==, !=, and, or, has(), startswith(), endswith(), contains() (see docs/engine.md); use jsonPointers otherwise`,
      );
    }
    throw err;
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies path steps to (path, value) pairs. Missing keys yield null values (as jq does). */
function walkSteps(
  start: readonly (readonly [JsonPath, unknown])[],
  steps: readonly Step[],
): [JsonPath, unknown][] {
  let cur = start.map(([p, v]) => [p, v] as [JsonPath, unknown]);
  for (const s of steps) {
    const next: [JsonPath, unknown][] = [];
    for (const [p, v] of cur) {
      if (s.t === 'key') {
        if (isObj(v)) next.push([[...p, s.key], v[s.key]]);
        else if (v === null || v === undefined) next.push([[...p, s.key], null]);
        // non-object: jq errors; with or without `?` the path simply matches nothing here
      } else if (s.t === 'index') {
        if (Array.isArray(v)) {
          const i = s.index < 0 ? v.length + s.index : s.index;
          if (i >= 0) next.push([[...p, i], v[i] ?? null]);
        }
      } else {
        if (Array.isArray(v)) v.forEach((e, i) => next.push([[...p, i], e]));
        else if (isObj(v)) for (const k of Object.keys(v)) next.push([[...p, k], v[k]]);
      }
    }
    cur = next;
  }
  return cur;
}

function operandValues(o: Operand, v: unknown): unknown[] {
  if (o.t === 'lit') return [o.value];
  return walkSteps([[[], v]], o.steps).map(([, x]) => x ?? null);
}

function jqEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false;
}

function holds(c: Cond, v: unknown): boolean {
  switch (c.t) {
    case 'and':
      return holds(c.l, v) && holds(c.r, v);
    case 'or':
      return holds(c.l, v) || holds(c.r, v);
    case 'has':
      return isObj(v) && Object.hasOwn(v, c.key);
    case 'truthy':
      return operandValues(c.a, v).some(truthy);
    case 'cmp': {
      const as = operandValues(c.a, v);
      const bs = operandValues(c.b, v);
      return as.some((x) => bs.some((y) => (c.op === '==' ? jqEqual(x, y) : !jqEqual(x, y))));
    }
    case 'fn':
      return operandValues(c.a, v).some((x) => {
        if (typeof x !== 'string') return false;
        if (c.fn === 'startswith') return x.startsWith(c.arg);
        if (c.fn === 'endswith') return x.endsWith(c.arg);
        return x.includes(c.arg);
      });
  }
}

/**
 * The concrete paths an expression selects in `root` that exist there (what `del(expr)` deletes).
 */
export function evaluateJqPaths(prog: JqProgram, root: unknown): JsonPath[] {
  let cur: [JsonPath, unknown][] = [[[], root]];
  for (const term of prog.terms) {
    if (term.t === 'path') cur = walkSteps(cur, term.steps);
    else cur = cur.filter(([, v]) => holds(term.cond, v));
  }
  return cur.filter(([p, v]) => p.length > 0 && v !== undefined && exists(root, p)).map(([p]) => p);
}

function exists(root: unknown, path: JsonPath): boolean {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return false;
      cur = cur[seg];
    } else {
      if (!isObj(cur) || !Object.hasOwn(cur, seg)) return false;
      cur = cur[seg];
    }
  }
  return true;
}
