/**
 * Exact comparison of Kubernetes resource quantities (`1000m` == `1`, `1Gi` == `1024Mi`,
 * `0.5` == `500m`, `1e3` == `1k`). Values are kept as integers times powers of 10 and 2 (BigInt),
 * so no precision is lost; exponents are bounded to keep hostile input cheap.
 */

interface Quantity {
  /** integer mantissa (sign included) */
  readonly m: bigint;
  /** power of ten */
  readonly e10: number;
  /** power of two (binary suffixes) */
  readonly e2: number;
}

const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const MAX_EXP = 400;
const RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d{1,4}))?$/;

/** Parses a quantity string or a JSON number; undefined when it is not a quantity. */
export function parseQuantity(value: unknown): Quantity | undefined {
  let s: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    s = String(value);
  } else if (typeof value === 'string') s = value.trim();
  else return undefined;
  if (s.length === 0 || s.length > 64) return undefined;
  const m = RE.exec(s);
  if (!m) return undefined;
  const [, sign = '', num = '', suffix, exp] = m;
  const dot = num.indexOf('.');
  const intPart = dot < 0 ? num : num.slice(0, dot);
  const frac = dot < 0 ? '' : num.slice(dot + 1);
  let mant = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0');
  if (sign === '-') mant = -mant;
  let e10 = -frac.length;
  let e2 = 0;
  if (exp !== undefined) e10 += Number(exp);
  else if (suffix !== undefined) {
    const b = BINARY[suffix];
    if (b !== undefined) e2 = b;
    else e10 += DECIMAL[suffix] ?? 0;
  }
  if (Math.abs(e10) > MAX_EXP) return undefined;
  return { m: mant, e10, e2 };
}

function scale(q: Quantity, e10: number, e2: number): bigint {
  return q.m * 10n ** BigInt(q.e10 - e10) * 2n ** BigInt(q.e2 - e2);
}

const memo = new Map<string, boolean>();
const MEMO_MAX = 10_000;

/**
 * Whether two values are the same quantity; false when either is not a quantity. Answers are
 * memoised (bounded): git keeps `1000m` while the API server answers `1`, so the same pairs come
 * back on every refresh.
 */
export function quantitiesEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length > 64 || b.length > 64) {
    return computeEqual(a, b);
  }
  const k = `${a}\u0000${b}`;
  const hit = memo.get(k);
  if (hit !== undefined) return hit;
  const r = computeEqual(a, b);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(k, r);
  return r;
}

function computeEqual(a: unknown, b: unknown): boolean {
  const qa = parseQuantity(a);
  if (qa === undefined) return false;
  const qb = parseQuantity(b);
  if (qb === undefined) return false;
  const e10 = Math.min(qa.e10, qb.e10);
  const e2 = Math.min(qa.e2, qb.e2);
  return scale(qa, e10, e2) === scale(qb, e10, e2);
}
