/**
 * The evaluation core: casbin's effect for Argo CD's model, computed without casbin.
 *
 * A `PolicyLayer` is one parsed policy (built-in, user, or a project's run-time policy) with its
 * patterns compiled and its `p` lines indexed by subject. A `PolicyView` stacks layers (global =
 * built-in + user; per project = global + the project's layer) and answers
 * `check(subject, resource, action, object)` exactly as casbin does for
 *
 *   matcher  g(r.sub, p.sub) && match(r.res, p.res) && match(r.act, p.act) && match(r.obj, p.obj)
 *   effect   some(allow) && !some(deny)
 *
 * `g(a, b)` holds when b is a or is reachable from a through `g` lines in at most
 * `MAX_ROLE_DEPTH` steps (casbin's default role manager). For each subject the rules of its role
 * closure are flattened once and then bucketed by requested resource, deny rules first, so a check
 * is a map lookup plus a short scan.
 */
import { compilePattern, type Matcher, type MatchMode } from './match.js';
import type { Effect, ParsedPolicy, PermissionRule, RuleRef } from './policy.js';

/** casbin's default role manager follows `g` links at most this many steps deep (Go and Node). */
export const MAX_ROLE_DEPTH = 10;

const MAX_CACHED_SUBJECTS = 10_000;
const MAX_CACHED_RESOURCES = 64;

export interface CompiledRule {
  readonly rule: PermissionRule;
  /** what a decision reports (built once, shared by every decision) */
  readonly ref: RuleRef;
  readonly effect: Effect;
  /** policy order across layers: earlier layers and lines first */
  readonly seq: number;
  readonly res: Matcher;
  readonly act: Matcher;
  readonly obj: Matcher;
}

export class PolicyLayer {
  readonly bySubject = new Map<string, CompiledRule[]>();
  readonly roles = new Map<string, string[]>();
  readonly size: number;

  /**
   * @param parsed a policy without errors (a pattern that fails to compile here is a caller bug)
   * @param order position of this layer in a view, for `seq`
   */
  constructor(parsed: ParsedPolicy, mode: MatchMode, order: number) {
    const base = order * 10_000_000;
    let i = 0;
    for (const rule of parsed.permissions) {
      const compiled: CompiledRule = {
        rule,
        ref: Object.freeze({
          source: rule.source,
          line: rule.line,
          text: rule.text,
          effect: rule.effect,
        }),
        effect: rule.effect,
        seq: base + i++,
        res: mustCompile(rule.resource, mode),
        act: mustCompile(rule.action, mode),
        obj: mustCompile(rule.object, mode),
      };
      const list = this.bySubject.get(rule.subject);
      if (list) list.push(compiled);
      else this.bySubject.set(rule.subject, [compiled]);
    }
    for (const g of parsed.groupings) {
      const list = this.roles.get(g.subject);
      if (list) {
        if (!list.includes(g.role)) list.push(g.role);
      } else this.roles.set(g.subject, [g.role]);
    }
    this.size = parsed.permissions.length + parsed.groupings.length;
  }
}

function mustCompile(pattern: string, mode: MatchMode): Matcher {
  const r = compilePattern(pattern, mode);
  if (!r.ok) throw new TypeError(`policy layer built from an unvalidated policy: ${r.message}`);
  return r.match;
}

interface Bucket {
  readonly deny: readonly CompiledRule[];
  readonly allow: readonly CompiledRule[];
}

interface SubjectRules {
  readonly rules: readonly CompiledRule[];
  readonly byResource: Map<string, Bucket>;
  /** the subject of some `g` line (Argo CD only checks groups that are) */
  readonly grouping: boolean;
}

const EMPTY_BUCKET: Bucket = { deny: [], allow: [] };
const NO_RULES: SubjectRules = { rules: [], byResource: new Map(), grouping: false };

export class PolicyView {
  readonly layers: readonly PolicyLayer[];
  private readonly subjects = new Map<string, SubjectRules>();

  constructor(layers: readonly PolicyLayer[]) {
    this.layers = layers;
  }

  /** True when `name` is the subject of some `g` line (Argo CD only checks such groups). */
  isGroupingSubject(name: string): boolean {
    return this.rulesOf(name).grouping;
  }

  /** Every role `subject` holds, itself first, in breadth-first order. */
  roleClosure(subject: string): string[] {
    const seen = new Set<string>([subject]);
    let frontier = [subject];
    for (let depth = 0; depth < MAX_ROLE_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const s of frontier) {
        for (const l of this.layers) {
          const roles = l.roles.get(s);
          if (!roles) continue;
          for (const r of roles) {
            if (!seen.has(r)) {
              seen.add(r);
              next.push(r);
            }
          }
        }
      }
      frontier = next;
    }
    return [...seen];
  }

  private rulesOf(subject: string): SubjectRules {
    const cached = this.subjects.get(subject);
    if (cached) return cached;
    let known = false;
    let grouping = false;
    for (const l of this.layers) {
      if (l.roles.has(subject)) grouping = known = true;
      else if (l.bySubject.has(subject)) known = true;
    }
    let entry = NO_RULES;
    if (known) {
      const rules: CompiledRule[] = [];
      for (const role of this.roleClosure(subject)) {
        for (const l of this.layers) {
          const list = l.bySubject.get(role);
          if (list) for (const r of list) rules.push(r);
        }
      }
      rules.sort((a, b) => a.seq - b.seq);
      entry = { rules, byResource: new Map(), grouping };
    }
    // unknown subjects are cached too (as NO_RULES), so a repeat costs one lookup
    if (this.subjects.size >= MAX_CACHED_SUBJECTS) this.subjects.clear();
    this.subjects.set(subject, entry);
    return entry;
  }

  private bucket(sr: SubjectRules, resource: string): Bucket {
    const cached = sr.byResource.get(resource);
    if (cached) return cached;
    const deny: CompiledRule[] = [];
    const allow: CompiledRule[] = [];
    for (const r of sr.rules) {
      if (!r.res(resource)) continue;
      if (r.effect === 'deny') deny.push(r);
      else allow.push(r);
    }
    const b = deny.length === 0 && allow.length === 0 ? EMPTY_BUCKET : { deny, allow };
    if (sr.byResource.size < MAX_CACHED_RESOURCES) sr.byResource.set(resource, b);
    return b;
  }

  /**
   * casbin's decision for one subject: returns the first matching deny rule (denied), else the
   * first matching allow rule (allowed), else undefined (no rule matched: denied).
   */
  check(
    subject: string,
    resource: string,
    action: string,
    object: string,
  ): CompiledRule | undefined {
    const sr = this.rulesOf(subject);
    if (sr.rules.length === 0) return undefined;
    const b = this.bucket(sr, resource);
    for (const r of b.deny) if (r.act(action) && r.obj(object)) return r;
    for (const r of b.allow) if (r.act(action) && r.obj(object)) return r;
    return undefined;
  }
}
