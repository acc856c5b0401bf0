/**
 * rbac-check: microseconds per `RbacEnforcer.enforceClaims` call against a realistic policy of
 * 1,000 lines (size M; S 200, L 10,000): one role per team with globs, sub-resource actions and a
 * deny, groups and users bound by `g` lines, an AppProject per team whose role policies are merged
 * at run time, and a mix of allowed and denied requests from users with several groups.
 *
 * Reference (same run, interleaved): a plain `Map` lookup of the precomputed answers for the same
 * requests, i.e. the floor any evaluator could reach with a perfect answer cache; the ratio says
 * how far above that floor the real evaluation runs. casbin on the same policy (the oracle Argo CD
 * is built on) is timed on a sample and reported in the details, together with its agreement with
 * our `enforce()` on that sample; it is not the reference because, at milliseconds per check, it
 * is no floor at all.
 *
 * Target: <= 10 µs per check (pass = value <= 10).
 */
import { newEnforcer, newModelFromString, type Model } from 'casbin';
import type { AppProject } from '../../src/apis/index.js';
import { globMatch } from '../../src/lib/index.js';
import { BUILTIN_POLICY, RbacEnforcer, type EnforceOptions } from '../../src/rbac/index.js';
import { interleave, median, round, type BenchContext, type Scenario, type Size } from '../lib.js';

const LINES: Record<Size, number> = { S: 200, M: 1_000, L: 10_000 };
const LINES_PER_TEAM = 10;
const REQUESTS = 4_000;
const CASBIN_SAMPLE = 150;

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

interface Workload {
  readonly policy: string;
  readonly lines: string[][];
  readonly projects: Map<string, AppProject>;
  readonly requests: { claims: Record<string, unknown>; req: [string, string, string] }[];
  readonly plain: [string, string, string, string][];
}

function workload(lines: number): Workload {
  const rnd = prng(42);
  const int = (n: number): number => Math.floor(rnd() * n);
  const teams = Math.max(1, Math.floor(lines / LINES_PER_TEAM));
  const out: string[][] = [];
  const projects = new Map<string, AppProject>();
  for (let t = 0; t < teams; t++) {
    const role = `role:team-${t}`;
    const proj = `team-${t}`;
    out.push(
      ['p', role, 'applications', 'get', `${proj}/*`, 'allow'],
      ['p', role, 'applications', 'sync', `${proj}/*`, 'allow'],
      ['p', role, 'applications', 'action/apps/Deployment/restart', `${proj}/*`, 'allow'],
      ['p', role, 'applications', 'delete', `${proj}/prod-*`, 'deny'],
      ['p', role, 'applications', 'update/*', `${proj}/dev-*`, 'allow'],
      ['p', role, 'logs', 'get', `${proj}/*`, 'allow'],
      ['p', role, 'exec', 'create', `${proj}/dev-*`, 'allow'],
      ['p', role, 'repositories', 'get', `https://git.example.com/${proj}/*`, 'allow'],
      ['g', `my-org:${proj}`, role],
      ['g', `user-${t}`, role],
    );
    projects.set(proj, {
      metadata: { name: proj },
      spec: {
        roles: [
          {
            name: 'ci',
            policies: [
              `p, proj:${proj}:ci, applications, sync, ${proj}/*, allow`,
              `p, proj:${proj}:ci, applications, get, ${proj}/*, allow`,
            ],
            groups: [`my-org:${proj}-ci`],
          },
          {
            name: 'oncall',
            policies: [`p, proj:${proj}:oncall, applications, *, ${proj}/prod-*, allow`],
            groups: [`my-org:${proj}-oncall`],
          },
        ],
      },
    });
  }
  out.push(['g', 'my-org:platform', 'role:admin']);
  const policy = out.map((l) => l.join(', ')).join('\n');

  const actions = [
    'get',
    'get',
    'get',
    'sync',
    'delete',
    'action/apps/Deployment/restart',
    'update/apps/Deployment/ns/web',
  ];
  const requests: Workload['requests'] = [];
  const plain: Workload['plain'] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const own = int(teams);
    // most callers ask about their own team's apps; some about another team's
    const target = rnd() < 0.7 ? own : int(teams);
    const app = `${['dev', 'prod', 'api'][int(3)] ?? 'api'}-${int(50)}`;
    const groups = [`my-org:team-${own}`, 'my-org:everyone', `other-${int(1000)}`];
    if (rnd() < 0.2) groups.push(`my-org:team-${target}-oncall`);
    if (rnd() < 0.02) groups.push('my-org:platform');
    const kind = rnd();
    let req: [string, string, string];
    if (kind < 0.75)
      req = ['applications', actions[int(actions.length)] ?? 'get', `team-${target}/${app}`];
    else if (kind < 0.9) req = ['logs', 'get', `team-${target}/${app}`];
    else req = ['repositories', 'get', `https://git.example.com/team-${target}/repo-${int(5)}`];
    requests.push({ claims: { sub: `user-${int(teams * 5)}`, groups, iat: 1_700_000_000 }, req });
    plain.push([rnd() < 0.5 ? `user-${own}` : `my-org:team-${own}`, ...req]);
  }
  return { policy, lines: out, projects, requests, plain };
}

const MODEL = `[request_definition]
r = sub, res, act, obj
[policy_definition]
p = sub, res, act, obj, eft
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = g(r.sub, p.sub) && globOrRegexMatch(r.res, p.res) && globOrRegexMatch(r.act, p.act) && globOrRegexMatch(r.obj, p.obj)`;

async function casbinCheck(
  w: Workload,
  builtin: string,
): Promise<{ usPerCheck: number; agreement: number; checked: number }> {
  const rows = [
    ...builtin
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(', ')),
    ...w.lines,
  ];
  const adapter = {
    loadPolicy: (m: Model): Promise<void> => {
      for (const r of rows) m.addPolicy(r[0] ?? '', r[0] ?? '', r.slice(1));
      return Promise.resolve();
    },
    savePolicy: () => Promise.resolve(false),
    addPolicy: () => Promise.resolve(),
    removePolicy: () => Promise.resolve(),
    removeFilteredPolicy: () => Promise.resolve(),
  };
  const e = await newEnforcer(newModelFromString(MODEL), adapter);
  await e.addFunction('globOrRegexMatch', (...args: unknown[]) =>
    globMatch(String(args[1]), String(args[0])),
  );
  const ours = new RbacEnforcer({
    builtinPolicy: builtin,
    userPolicyCsv: w.policy,
    enforceRollback: true,
  });
  const sample = w.plain.slice(0, CASBIN_SAMPLE);
  let agree = 0;
  const t0 = process.hrtime.bigint();
  const answers = sample.map((r) => e.enforceSync(...r));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  sample.forEach((r, i) => {
    if (ours.enforce(...r) === answers[i]) agree++;
  });
  return {
    usPerCheck: (ms * 1000) / sample.length,
    agreement: agree / sample.length,
    checked: sample.length,
  };
}

export const scenario: Scenario = {
  name: 'rbac-check',
  description: 'µs per enforceClaims on a 1,000-line policy with projects (floor: Map of answers)',
  async run(ctx: BenchContext) {
    const w = workload(LINES[ctx.size]);
    const enforcer = new RbacEnforcer({ userPolicyCsv: w.policy });
    if (enforcer.problems.length > 0)
      throw new Error(`bench policy has problems: ${JSON.stringify(enforcer.problems[0])}`);
    const opts: EnforceOptions = { projects: (name) => w.projects.get(name) };
    const n = w.requests.length;

    // first pass: cold caches (role closures, resource buckets, project policies)
    const t0 = process.hrtime.bigint();
    let allowed = 0;
    const answers = new Map<number, boolean>();
    w.requests.forEach(({ claims, req }, i) => {
      const ok = enforcer.enforceClaims(claims, ...req, opts).allowed;
      answers.set(i, ok);
      if (ok) allowed++;
    });
    const coldUs = (Number(process.hrtime.bigint() - t0) / 1e6 / n) * 1000;
    ctx.log(
      `${LINES[ctx.size]} lines, ${n} requests, ${allowed} allowed; cold pass ${round(coldUs)} µs/check`,
    );

    let sink = 0;
    const candidate = (): Promise<number> => {
      const t = process.hrtime.bigint();
      for (const { claims, req } of w.requests) {
        if (enforcer.enforceClaims(claims, req[0], req[1], req[2], opts).allowed) sink++;
      }
      return Promise.resolve(Number(process.hrtime.bigint() - t) / 1e6);
    };
    const reference = (): Promise<number> => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) if (answers.get(i) === true) sink++;
      return Promise.resolve(Number(process.hrtime.bigint() - t) / 1e6);
    };
    const plainCheck = (): number => {
      const t = process.hrtime.bigint();
      for (const r of w.plain) if (enforcer.enforce(r[0], r[1], r[2], r[3])) sink++;
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    await interleave(3, reference, candidate); // warm-up (JIT)
    const run = await interleave(21, reference, candidate);
    const plainMs = median(Array.from({ length: 7 }, plainCheck));
    const casbin = await casbinCheck(w, BUILTIN_POLICY);
    // a many-star glob against a long caller-chosen name: linear here, seconds with a regex
    const hostile = new RbacEnforcer({
      userPolicyCsv: 'p, u, applications, get, *a*a*a*a*a*b, allow',
    });
    const longName = 'a'.repeat(250);
    const th = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) if (hostile.enforce('u', 'applications', 'get', longName)) sink++;
    const hostileUs = Number(process.hrtime.bigint() - th) / 1e3 / 100;

    const usPer = (ms: number): number => (ms * 1000) / n;
    const value = usPer(median(run.candidate));
    const reference_ = usPer(median(run.reference));
    return {
      scenario: 'rbac-check',
      metric: 'enforceClaims',
      value,
      unit: 'µs/check',
      reference: reference_,
      ratio: value / reference_,
      target: '<= 10 µs per check',
      pass: value <= 10,
      details: {
        policyLines: w.lines.length,
        projects: w.projects.size,
        requests: n,
        allowedShare: round(allowed / n),
        coldPassUsPerCheck: round(coldUs),
        enforcePlainSubjectUsPerCheck: round(usPer(plainMs)),
        manyStarGlobOn250CharsUsPerCheck: round(hostileUs),
        casbinUsPerCheck: round(casbin.usPerCheck),
        casbinAgreementOnSample: `${round(casbin.agreement * 100)}% of ${casbin.checked}`,
        sink: sink > 0,
      },
    };
  },
};
