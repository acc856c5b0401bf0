/**
 * Differential tests: our evaluator against node-casbin 5.51.1 loaded with Argo CD's model
 * (testdata/argo-model.conf) and a `globOrRegexMatch` with gobwas-without-separators semantics.
 * The oracle's glob matcher is written independently below (a backtracking matcher), so a bug in
 * the production glob compiler cannot hide itself. Policies, claims and requests come from a
 * seeded PRNG; a failure prints the seed, the policy and the request.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { newEnforcer, newModelFromString, type Enforcer, type Model } from 'casbin';
import type { AppProject } from '../apis/index.js';
import { RbacEnforcer, type MatchMode } from './index.js';

const MODEL = readFileSync(new URL('./testdata/argo-model.conf', import.meta.url), 'utf8');

// ---------------------------------------------------------------- seeded PRNG (mulberry32)

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly next: () => number;
  constructor(next: () => number) {
    this.next = next;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from empty list');
    return x;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------- independent glob oracle

type Tok =
  | { t: 'lit'; c: string }
  | { t: 'any' }
  | { t: 'one' }
  | { t: 'cls'; neg: boolean; ranges: [string, string][] };

/** Expands `{a,b}` alternatives (not nested) into several token lists. */
function tokenize(pattern: string): Tok[][] {
  let alts: Tok[][] = [[]];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    const push = (tok: Tok): void => {
      for (const a of alts) a.push(tok);
    };
    if (c === '\\' && i + 1 < chars.length) {
      push({ t: 'lit', c: chars[++i] ?? '' });
    } else if (c === '*') {
      push({ t: 'any' });
    } else if (c === '?') {
      push({ t: 'one' });
    } else if (c === '[') {
      const close = chars.indexOf(']', i + 2);
      let body = chars.slice(i + 1, close);
      const neg = body[0] === '!';
      if (neg) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let k = 0; k < body.length; k++) {
        const lo = body[k] ?? '';
        if (body[k + 1] === '-' && k + 2 < body.length) {
          ranges.push([lo, body[k + 2] ?? '']);
          k += 2;
        } else ranges.push([lo, lo]);
      }
      push({ t: 'cls', neg, ranges });
      i = close;
    } else if (c === '{') {
      const close = chars.indexOf('}', i);
      const options = chars
        .slice(i + 1, close)
        .join('')
        .split(',');
      const next: Tok[][] = [];
      for (const a of alts) {
        for (const o of options)
          next.push([...a, ...Array.from(o).map((ch): Tok => ({ t: 'lit', c: ch }))]);
      }
      alts = next;
      i = close;
    } else {
      push({ t: 'lit', c });
    }
  }
  return alts;
}

function matchToks(toks: readonly Tok[], ti: number, s: readonly string[], si: number): boolean {
  if (ti === toks.length) return si === s.length;
  const tok = toks[ti];
  if (tok === undefined) return false;
  switch (tok.t) {
    case 'any':
      for (let k = si; k <= s.length; k++) if (matchToks(toks, ti + 1, s, k)) return true;
      return false;
    case 'one':
      return si < s.length && matchToks(toks, ti + 1, s, si + 1);
    case 'lit':
      return s[si] === tok.c && matchToks(toks, ti + 1, s, si + 1);
    case 'cls': {
      const ch = s[si];
      if (ch === undefined) return false;
      const inside = tok.ranges.some(([lo, hi]) => ch >= lo && ch <= hi);
      return inside !== tok.neg && matchToks(toks, ti + 1, s, si + 1);
    }
  }
}

/** gobwas/glob with no separators, written from its documented semantics. */
export function oracleGlob(pattern: string, value: string): boolean {
  const s = Array.from(value);
  return tokenize(pattern).some((toks) => matchToks(toks, 0, s, 0));
}

// ---------------------------------------------------------------- vocabulary for generation

const USERS = ['alice', 'bob', 'carol', 'admin', 'proj:p0:ci', 'x"y'];
const GROUPS = ['org:dev', 'org:ops', 'org:team, with comma', 'sre'];
const ROLES = ['role:r0', 'role:r1', 'role:r2', 'role:r3', 'role:r4', 'role:readonly'];
const CHAIN = Array.from({ length: 13 }, (_, i) => `role:c${i}`);

const RESOURCES = ['applications', 'applicationsets', 'projects', 'clusters', 'logs', 'exec'];
const RESOURCE_PATTERNS = [
  ...RESOURCES,
  '*',
  'app*',
  '*s',
  '?ogs',
  '{logs,exec}',
  '[a-c]*',
  'application?',
];
const ACTIONS = [
  'get',
  'sync',
  'create',
  'update',
  'delete',
  'update/apps/Deployment/ns1/web',
  'delete//Pod/ns1/web-1',
  'action/apps/Deployment/restart',
  'action//Pod/restart',
  'rollback',
];
const ACTION_PATTERNS = [
  'get',
  'sync',
  'update',
  'delete',
  '*',
  'update/*',
  'delete/*',
  'delete//Pod/*',
  'action/*',
  'action/apps/*',
  's?nc',
  '{get,sync}',
  'update/apps/Deployment/*/web',
  '[!g]*',
];
const OBJECTS = [
  'p0/a0',
  'p0/a1',
  'p1/a0',
  'p1/ns1/a2',
  'p0/a1-x',
  'p2/a0',
  'p0',
  'p1',
  'https://kubernetes.default.svc',
  'a0',
];
const OBJECT_PATTERNS = [
  '*',
  '*/*',
  'p0/*',
  'p1/*',
  'p?/a1',
  '*a0',
  'p1/*/a2',
  '[!p]*',
  '{p0,p1}/a0',
  'p1/a0',
  '*-x*',
  'p0',
  'https://*',
  'p[0-1]/*',
];

const REGEX_RESOURCES = ['applications', '^app', 'logs|exec', '.*', 's$', 'cluster', 'a', 'ions$'];
const REGEX_ACTIONS = [
  'get',
  '^sync$',
  '.*',
  'update/.*',
  '^(get|sync)$',
  'action/apps/.*',
  'e',
  'c',
];
const REGEX_OBJECTS = [
  '.*',
  '^p0/',
  'a[0-1]$',
  'p1/.*/a2',
  '^p[0-9]+$',
  'x',
  '^https://',
  '/',
  'p',
];

interface Policy {
  p: string[][];
  g: string[][];
}

function genPolicy(g: Gen, mode: MatchMode, rich = false): Policy {
  const subjects = [...USERS, ...GROUPS, ...ROLES];
  const p: string[][] = [];
  const nP = rich ? 10 + g.int(20) : 3 + g.int(14);
  const res = mode === 'glob' ? RESOURCE_PATTERNS : REGEX_RESOURCES;
  const act = mode === 'glob' ? ACTION_PATTERNS : REGEX_ACTIONS;
  const obj = mode === 'glob' ? OBJECT_PATTERNS : REGEX_OBJECTS;
  for (let i = 0; i < nP; i++) {
    p.push([
      g.pick(subjects),
      g.pick(res),
      g.pick(act),
      g.pick(obj),
      g.chance(0.3) ? 'deny' : 'allow',
    ]);
  }
  const gl: string[][] = [];
  const nG = rich ? 4 + g.int(12) : g.int(10);
  for (let i = 0; i < nG; i++) {
    const from = g.pick([...USERS, ...GROUPS, ...ROLES]);
    const to = g.pick([...GROUPS, ...ROLES]);
    gl.push([from, to]);
  }
  if (g.chance(0.25)) {
    // a long chain, to exercise casbin's 10-level role hierarchy limit
    const start = g.pick([...USERS, ...GROUPS]);
    const len = 8 + g.int(5);
    gl.push([start, CHAIN[0] ?? '']);
    for (let i = 0; i < len; i++) gl.push([CHAIN[i] ?? '', CHAIN[i + 1] ?? '']);
    const end = CHAIN[len] ?? '';
    p.push([end, g.pick(res), g.pick(act), g.pick(obj), 'allow']);
    if (g.chance(0.3))
      p.push([CHAIN[g.int(len)] ?? '', g.pick(res), g.pick(act), g.pick(obj), 'deny']);
  }
  return { p, g: gl };
}

/** Renders tokens as policy CSV the way people write it: spaces, quotes, comments, blank lines. */
function renderCsv(g: Gen, policy: Policy): string {
  const field = (v: string): string => {
    if (v.includes(',') || v.includes('"') || g.chance(0.05)) return `"${v.replaceAll('"', '""')}"`;
    return v;
  };
  const lines: string[] = [];
  const rows = [...policy.p.map((r) => ['p', ...r]), ...policy.g.map((r) => ['g', ...r])];
  for (const row of rows) {
    if (g.chance(0.1)) lines.push('# a comment');
    if (g.chance(0.1)) lines.push('   ');
    const sep = g.chance(0.5) ? ', ' : g.chance(0.5) ? ',' : ',  ';
    lines.push(
      (g.chance(0.2) ? '  ' : '') + row.map(field).join(sep) + (g.chance(0.1) ? '\t' : ''),
    );
  }
  return lines.join(g.chance(0.2) ? '\r\n' : '\n');
}

function oracleMatch(mode: MatchMode): (value: string, pattern: string) => boolean {
  return mode === 'glob'
    ? (value, pattern) => oracleGlob(pattern, value)
    : (value, pattern) => new RegExp(pattern).test(value);
}

async function casbinFor(policies: readonly Policy[], mode: MatchMode): Promise<Enforcer> {
  const model = newModelFromString(MODEL);
  const adapter = {
    loadPolicy: (m: Model): Promise<void> => {
      for (const pol of policies) {
        for (const r of pol.p) m.addPolicy('p', 'p', r);
        for (const r of pol.g) m.addPolicy('g', 'g', r);
      }
      return Promise.resolve();
    },
    savePolicy: () => Promise.resolve(false),
    addPolicy: () => Promise.resolve(),
    removePolicy: () => Promise.resolve(),
    removeFilteredPolicy: () => Promise.resolve(),
  };
  const e = await newEnforcer(model, adapter);
  const match = oracleMatch(mode);
  await e.addFunction('globOrRegexMatch', (...args: unknown[]) =>
    match(String(args[0]), String(args[1])),
  );
  return e;
}

/**
 * A request: most of them aimed at one of the policy's rules (values its patterns match, its
 * subject or any other), so that allows, denies and near misses all occur often.
 */
function genRequest(
  g: Gen,
  policies: readonly Policy[],
  mode: MatchMode,
): [string, string, string, string] {
  const subjects = [...USERS, ...GROUPS, ...ROLES, ...CHAIN, 'nobody'];
  const rules = policies.flatMap((p) => p.p);
  if (rules.length === 0 || g.chance(0.3)) {
    return [g.pick(subjects), g.pick(RESOURCES), g.pick(ACTIONS), g.pick(OBJECTS)];
  }
  const match = oracleMatch(mode);
  const rule = g.pick(rules);
  const aim = (values: readonly string[], pattern: string): string => {
    const hits = values.filter((v) => match(v, pattern));
    return hits.length > 0 && g.chance(0.9) ? g.pick(hits) : g.pick(values);
  };
  return [
    g.chance(0.6) ? (rule[0] ?? '') : g.pick(subjects),
    aim(RESOURCES, rule[1] ?? ''),
    aim(ACTIONS, rule[2] ?? ''),
    aim(OBJECTS, rule[3] ?? ''),
  ];
}

describe('rbac differential (casbin oracle)', () => {
  it('agrees with casbin on the oracle glob itself for known gobwas cases', () => {
    const cases: [string, string, boolean][] = [
      ['*', 'team-a/web', true],
      ['*/*', 'team-a/ns/web', true],
      ['team-a/*', 'team-b/web', false],
      ['?ogs', 'logs', true],
      ['[!p]*', 'p0/a', false],
      ['{p0,p1}/a0', 'p1/a0', true],
      ['p[0-1]/*', 'p2/a', false],
    ];
    for (const [pattern, value, want] of cases) assert.equal(oracleGlob(pattern, value), want);
  });

  it('enforce() matches casbin on 12,000 generated glob-mode cases', async (t) => {
    const seed = 20240611;
    const g = new Gen(prng(seed));
    let cases = 0;
    let allowed = 0;
    let denied = 0;
    for (let n = 0; n < 600; n++) {
      const policy = genPolicy(g, 'glob');
      const csv = renderCsv(g, policy);
      // enforceRollback: plain casbin semantics, no rollback-to-sync fallback
      const ours = new RbacEnforcer({
        builtinPolicy: '',
        userPolicyCsv: csv,
        enforceRollback: true,
      });
      const oracle = await casbinFor([policy], 'glob');
      for (let k = 0; k < 20; k++) {
        const req = genRequest(g, [policy], 'glob');
        const want = oracle.enforceSync(...req);
        const got = ours.enforce(...req);
        if (got !== want) {
          assert.fail(
            `seed ${seed} policy ${n} request ${JSON.stringify(req)}: ours ${got}, casbin ${want}\n${csv}`,
          );
        }
        cases++;
        if (want) allowed++;
        if (ours.decide(...req).reason === 'denied') denied++;
      }
    }
    t.diagnostic(`${cases} cases, ${allowed} allowed, ${denied} blocked by a deny rule`);
    assert.ok(cases >= 12_000);
    // the generator must exercise every outcome, or agreement means little
    assert.ok(allowed > cases * 0.15 && allowed < cases * 0.85, `allowed ${allowed} of ${cases}`);
    assert.ok(denied > cases * 0.05, `only ${denied} cases decided by a deny rule`);
  });

  it('enforce() matches casbin on 2,000 generated regex-mode cases', async (t) => {
    const seed = 7;
    const g = new Gen(prng(seed));
    let cases = 0;
    let allowed = 0;
    for (let n = 0; n < 100; n++) {
      const policy = genPolicy(g, 'regex');
      const csv = renderCsv(g, policy);
      const ours = new RbacEnforcer({
        builtinPolicy: '',
        userPolicyCsv: csv,
        matchMode: 'regex',
        enforceRollback: true,
      });
      const oracle = await casbinFor([policy], 'regex');
      for (let k = 0; k < 20; k++) {
        const req = genRequest(g, [policy], 'regex');
        const want = oracle.enforceSync(...req);
        assert.equal(
          ours.enforce(...req),
          want,
          `seed ${seed} policy ${n} ${JSON.stringify(req)}\n${csv}`,
        );
        cases++;
        if (want) allowed++;
      }
    }
    t.diagnostic(`${cases} cases, ${allowed} allowed`);
    assert.ok(allowed > cases * 0.1 && allowed < cases * 0.9, `allowed ${allowed} of ${cases}`);
  });

  it('enforceClaims() matches Argo CD’s claims algorithm run on casbin for 3,000 generated cases', async (t) => {
    const seed = 99;
    const g = new Gen(prng(seed));
    let cases = 0;
    let allowed = 0;
    const projectNames = ['p0', 'p1'];
    for (let n = 0; n < 150; n++) {
      const policy = genPolicy(g, 'glob', true);
      const csv = renderCsv(g, policy);
      const defaultRole = g.pick(['', '', 'role:r0', 'role:readonly']);
      const scopes = g.chance(0.5) ? ['groups'] : ['groups', 'teams'];
      // projects with roles: a role's policies must name the role (Argo CD's validation)
      const projects = new Map<string, AppProject>();
      const projectPolicies = new Map<string, Policy>();
      for (const name of projectNames) {
        if (g.chance(0.3)) continue;
        const roles = ['ci', 'dev'].map((role) => {
          const subject = `proj:${name}:${role}`;
          const tokens = Array.from({ length: 1 + g.int(3) }, () => [
            subject,
            g.pick(RESOURCE_PATTERNS),
            g.pick(ACTION_PATTERNS),
            g.pick([`${name}/*`, `${name}/a0`, `${name}/*/a2`]),
            g.chance(0.25) ? 'deny' : 'allow',
          ]);
          const policies = tokens.map((t) =>
            ['p', ...t].map((f) => (f.includes(',') ? `"${f}"` : f)).join(', '),
          );
          // a group with a comma is stored quoted, as Argo CD's project validation requires
          const groups = GROUPS.filter(() => g.chance(0.3));
          const stored = groups.map((grp) => (grp.includes(',') ? `"${grp}"` : grp));
          return { name: role, policies, groups: stored, tokens, plainGroups: groups };
        });
        projects.set(name, {
          metadata: { name },
          spec: {
            roles: roles.map((r) => ({ name: r.name, policies: r.policies, groups: r.groups })),
          },
        });
        const pp: Policy = { p: [], g: [] };
        for (const r of roles) {
          pp.p.push([`proj:${name}:${r.name}`, 'projects', 'get', name, 'allow']);
          pp.p.push(...r.tokens);
          for (const grp of r.plainGroups) pp.g.push([grp, `proj:${name}:${r.name}`]);
        }
        projectPolicies.set(name, pp);
      }
      const ours = new RbacEnforcer({
        builtinPolicy: '',
        userPolicyCsv: csv,
        defaultRole,
        scopes,
        dangerouslyAllowRoleClaims: true,
      });
      const global = await casbinFor([policy], 'glob');
      const merged = new Map<string, Enforcer>();
      for (const [name, pp] of projectPolicies)
        merged.set(name, await casbinFor([policy, pp], 'glob'));

      for (let k = 0; k < 20; k++) {
        const claims = genClaims(g);
        const [, res, act, obj] = genRequest(g, [policy, ...projectPolicies.values()], 'glob');
        const want = argoEnforceClaims(global, merged, defaultRole, scopes, claims, res, act, obj);
        const got = ours.enforceClaims(claims, res, act, obj, { projects: (p) => projects.get(p) });
        assert.equal(
          got.allowed,
          want,
          `seed ${seed} policy ${n} claims ${JSON.stringify(claims)} ${res} ${act} ${obj} default ${defaultRole}\n${csv}\n${JSON.stringify([...projects.values()])}`,
        );
        cases++;
        if (want) allowed++;
      }
    }
    assert.ok(cases >= 3_000);
    t.diagnostic(`${cases} cases, ${allowed} allowed`);
    assert.ok(allowed > cases * 0.1 && allowed < cases * 0.9, `allowed ${allowed} of ${cases}`);
  });
});

function genClaims(g: Gen): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (g.chance(0.9))
    claims.sub = g.pick([...USERS, 'proj:p0:ci', 'proj:p1:dev', 'proj:p0:dev', 'dave']);
  if (g.chance(0.2)) claims.federated_claims = { user_id: g.pick([...USERS, '']) };
  const groupPool: unknown[] = [...GROUPS, ...ROLES, 'unbound', 3, null, { x: 1 }];
  if (g.chance(0.7)) {
    claims.groups = g.chance(0.2)
      ? g.pick(GROUPS)
      : Array.from({ length: g.int(4) }, () => g.pick(groupPool));
  }
  if (g.chance(0.3)) claims.teams = g.chance(0.5) ? g.pick(GROUPS) : [g.pick(GROUPS), 7];
  return claims;
}

/** Argo CD's `enforce` + `RBACPolicyEnforcer.EnforceClaims`, written from interfaces §4.4. */
function argoEnforceClaims(
  global: Enforcer,
  merged: ReadonlyMap<string, Enforcer>,
  defaultRole: string,
  scopes: readonly string[],
  claims: Record<string, unknown>,
  res: string,
  act: string,
  obj: string,
): boolean {
  const actions = res === 'applications' && act === 'rollback' ? ['rollback', 'sync'] : [act];
  return actions.some((a) => argoOnce(global, merged, defaultRole, scopes, claims, res, a, obj));
}

function argoOnce(
  global: Enforcer,
  merged: ReadonlyMap<string, Enforcer>,
  defaultRole: string,
  scopes: readonly string[],
  claims: Record<string, unknown>,
  res: string,
  act: string,
  obj: string,
): boolean {
  const withDefault = (enf: Enforcer, sub: string): boolean =>
    (defaultRole !== '' && enf.enforceSync(defaultRole, res, act, obj)) ||
    enf.enforceSync(sub, res, act, obj);
  // Enforce(): the default role against the global enforcer
  if (defaultRole !== '' && global.enforceSync(defaultRole, res, act, obj)) return true;
  // EnforceClaims()
  const fed = claims.federated_claims as { user_id?: unknown } | undefined;
  const sub =
    typeof fed?.user_id === 'string' && fed.user_id !== ''
      ? fed.user_id
      : typeof claims.sub === 'string'
        ? claims.sub
        : '';
  let projName: string | undefined;
  if (
    ['applicationsets', 'applications', 'repositories', 'clusters', 'logs', 'exec'].includes(res)
  ) {
    const parts = obj.split('/');
    if (parts.length >= 2) projName = parts[0];
  } else if (res === 'projects') projName = obj;
  const projEnf = projName === undefined ? undefined : merged.get(projName);
  let enf = global;
  let claimsResult = false;
  const parts = sub.split(':');
  if (projEnf !== undefined && parts.length === 3 && parts[0] === 'proj') {
    claimsResult = parts[1] === projName && withDefault(projEnf, sub);
  } else {
    if (projEnf !== undefined) enf = projEnf;
    if (withDefault(enf, sub)) claimsResult = true;
    else {
      const groups: string[] = [];
      for (const s of scopes) {
        const v = claims[s];
        if (typeof v === 'string') groups.push(v);
        else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') groups.push(x);
      }
      const grouping = enf.getModel().model.get('g')?.get('g')?.policy ?? [];
      for (const grp of groups) {
        if (grouping.some((gp) => gp[0] === grp) && withDefault(enf, grp)) {
          claimsResult = true;
          break;
        }
      }
    }
  }
  if (claimsResult) return true;
  // Enforce() again with an empty subject
  return global.enforceSync('', res, act, obj);
}
