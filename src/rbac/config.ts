/**
 * From `argocd-rbac-cm` (and the two RBAC keys of `argocd-cm`) to `RbacEnforcerOptions`. Pure:
 * the caller reads the ConfigMaps; this only interprets their `data`.
 */
import { parseRbacConfigMap } from '../apis/index.js';
import type { RbacEnforcerOptions } from './enforcer.js';
import type { PolicyProblem, PolicySource } from './policy.js';

const INHERITANCE_KEY = 'server.rbac.disableApplicationFineGrainedRBACInheritance';
const ROLLBACK_KEY = 'server.rbac.rollback.enforce.enable';

/** Go's `strconv.ParseBool`. */
function parseGoBool(raw: string): boolean | undefined {
  switch (raw.trim()) {
    case '1':
    case 't':
    case 'T':
    case 'true':
    case 'TRUE':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'false':
    case 'FALSE':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/**
 * The policy texts of `argocd-rbac-cm`, in Argo CD's order: `policy.csv`, then every other
 * `policy.<x>.csv` key in sorted order, each its own source so problems name the key and line.
 */
export function policySourcesFromConfigMap(
  data: Readonly<Record<string, string>> | undefined,
): PolicySource[] {
  const d = data ?? {};
  const out: PolicySource[] = [];
  const main = d['policy.csv'];
  if (main !== undefined) out.push({ name: 'policy.csv', text: main });
  const extra = Object.keys(d)
    .filter((k) => k.startsWith('policy.') && k.endsWith('.csv') && k !== 'policy.csv')
    .sort();
  for (const k of extra) out.push({ name: k, text: d[k] ?? '' });
  return out;
}

/**
 * Builds enforcer options from ConfigMap data. A key that cannot be read (`policy.matchMode:
 * regexp`, a `scopes` value that is not a list) is an error, because falling back to a default
 * could change what the policy's patterns or groups mean; pass the result to
 * `RbacEnforcer.update()` only when `problems` has no errors, or keep the current policy.
 * @example
 * const { options, problems } = rbacOptionsFromConfigMaps(rbacCm.data, argocdCm.data);
 * if (!problems.some((p) => p.severity === 'error')) enforcer.update(options);
 */
export function rbacOptionsFromConfigMaps(
  rbacData: Readonly<Record<string, string>> | undefined,
  argocdData?: Readonly<Record<string, string>>,
): { options: RbacEnforcerOptions; problems: PolicyProblem[] } {
  const { config, problems: settingsProblems } = parseRbacConfigMap(rbacData);
  const problems: PolicyProblem[] = settingsProblems.map((p) => ({
    severity: 'error',
    source: p.key,
    line: 0,
    message: `${p.message}; fix the key (the current RBAC settings stay in force until then)`,
  }));
  const flag = (key: string, fallback: boolean): boolean => {
    const raw = argocdData?.[key];
    if (raw === undefined || raw.trim() === '') return fallback;
    const v = parseGoBool(raw);
    if (v === undefined) {
      problems.push({
        severity: 'error',
        source: `argocd-cm ${key}`,
        line: 0,
        message: `"${raw}" is not a boolean; write "true" or "false"`,
      });
      return fallback;
    }
    return v;
  };
  const inheritanceDisabled = flag(INHERITANCE_KEY, true);
  const enforceRollback = flag(ROLLBACK_KEY, false);
  return {
    options: {
      userPolicyCsv: policySourcesFromConfigMap(rbacData),
      defaultRole: config.policyDefault,
      matchMode: config.matchMode,
      scopes: config.scopes,
      applicationFineGrainedInheritance: !inheritanceDisabled,
      enforceRollback,
    },
    problems,
  };
}
