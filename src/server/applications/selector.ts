/**
 * Kubernetes label selectors in their string form (`?selector=` of the list and watch endpoints,
 * as `kubectl -l` and Argo CD's `app list -l` send them):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a` (exists), `!a` (does not exist),
 * joined by commas. Parsing is linear and bounded; a malformed selector is a 400 that says where.
 */
import { ApiError } from '../errors.js';

export type Requirement =
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'notexists'; readonly key: string };

/** A parsed selector; the empty selector matches everything. */
export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

const MAX_SELECTOR = 4096;
/** `[prefix/]name` with Kubernetes' characters (the length rules are the API server's business). */
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function bad(selector: string, why: string): ApiError {
  return new ApiError(
    'ERR_API_INVALID_ARGUMENT',
    `failed to parse the label selector "${selector.slice(0, 200)}": ${why}`,
  );
}

/** Splits on commas outside parentheses. */
function splitTerms(s: string, selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') {
      depth++;
      if (depth > 1) throw bad(selector, 'nested parentheses');
    } else if (c === ')') {
      depth--;
      if (depth < 0) throw bad(selector, 'unbalanced ")"');
    } else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw bad(selector, 'unbalanced "("');
  out.push(s.slice(start));
  return out;
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw bad(selector, `"${key.slice(0, 100)}" is not a valid label key`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (value.length > 63 || !VALUE.test(value))
    throw bad(selector, `"${value.slice(0, 100)}" is not a valid label value`);
  return value;
}

function parseTerm(term: string, selector: string): Requirement {
  const t = term.trim();
  if (t === '') throw bad(selector, 'empty requirement');
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(t);
  if (set) {
    const key = checkKey(set[1] ?? '', selector);
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
    if (values.length === 0 || (values.length === 1 && values[0] === ''))
      throw bad(selector, `"${key}" needs at least one value in parentheses`);
    return { op: set[2] === 'in' ? 'in' : 'notin', key, values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
  if (cmp) {
    const key = checkKey(cmp[1] ?? '', selector);
    const value = checkValue((cmp[3] ?? '').trim(), selector);
    return { op: cmp[2] === '!=' ? 'neq' : 'eq', key, value };
  }
  if (t.startsWith('!')) return { op: 'notexists', key: checkKey(t.slice(1).trim(), selector) };
  return { op: 'exists', key: checkKey(t, selector) };
}

function matchOne(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.op) {
    case 'eq':
      return has && v === r.value;
    case 'neq':
      return !has || v !== r.value;
    case 'in':
      return has && v !== undefined && r.values.includes(v);
    case 'notin':
      return !has || v === undefined || !r.values.includes(v);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/**
 * Parses a selector string (undefined or blank: match everything).
 * @example
 * parseLabelSelector('team=a,env in (prod,stage),!legacy').matches({ team: 'a', env: 'prod' }) // true
 */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  const s = selector?.trim() ?? '';
  if (s.length > MAX_SELECTOR) throw bad(s, `longer than ${MAX_SELECTOR} characters`);
  const requirements = s === '' ? [] : splitTerms(s, s).map((t) => parseTerm(t, s));
  return {
    requirements,
    matches(labels) {
      if (requirements.length === 0) return true;
      const l = labels ?? {};
      return requirements.every((r) => matchOne(r, l));
    },
  };
}
