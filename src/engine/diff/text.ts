/**
 * Unified text diffs for `argocd app diff`: YAML (keys sorted, as Argo CD prints objects) of the
 * normalised live object against the predicted live object, line-diffed with Myers' algorithm.
 * Inputs are `ResourceDiff`s, whose objects are already masked, so no Secret value can appear.
 */
import { stringify } from 'yaml';
import type { ResourceDiff } from './types.js';

/** Options of `formatDiffText`. */
export interface DiffTextOptions {
  /** lines of context around each change (default 3) */
  readonly context?: number;
  /** include resources that are not modified (default false) */
  readonly includeUnmodified?: boolean;
}

function toYaml(o: unknown): string[] {
  if (o === undefined) return [];
  const text = stringify(o, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const MAX_LINES = 20_000;

type Op = { readonly t: ' ' | '-' | '+'; readonly line: string };

/** Myers O(ND) line diff; returns the edit script in order. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max > MAX_LINES) {
    // too large for the O(ND) trace: show a full replacement rather than spend the memory
    return [...a.map((line): Op => ({ t: '-', line })), ...b.map((line): Op => ({ t: '+', line }))];
  }
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0))) {
        x = v[offset + k + 1] ?? 0;
      } else {
        x = (v[offset + k - 1] ?? 0) + 1;
      }
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // backtrack
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] ?? v;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && (vd[offset + k - 1] ?? 0) < (vd[offset + k + 1] ?? 0)))
      prevK = k + 1;
    else prevK = k - 1;
    const prevX = vd[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ t: ' ', line: a[x - 1] ?? '' });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ t: '+', line: b[y - 1] ?? '' });
      else ops.push({ t: '-', line: a[x - 1] ?? '' });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** Unified diff hunks of two line lists (`@@ -a,b +c,d @@`). */
export function unifiedHunks(
  a: readonly string[],
  b: readonly string[],
  context: number,
): string[] {
  const ops = diffLines(a, b);
  // positions (in `ops`) of changed lines, grouped into hunks
  const changes: number[] = [];
  ops.forEach((op, i) => {
    if (op.t !== ' ') changes.push(i);
  });
  const out: string[] = [];
  let g = 0;
  while (g < changes.length) {
    let last = changes[g] ?? 0;
    const first = last;
    let h = g + 1;
    while (h < changes.length && (changes[h] ?? 0) - last <= 2 * context + 1) {
      last = changes[h] ?? last;
      h++;
    }
    const start = Math.max(0, first - context);
    const stop = Math.min(ops.length, last + context + 1);
    let la = 1;
    let lb = 1;
    for (let k = 0; k < start; k++) {
      const t = ops[k]?.t;
      if (t !== '+') la++;
      if (t !== '-') lb++;
    }
    let ca = 0;
    let cb = 0;
    const body: string[] = [];
    for (let k = start; k < stop; k++) {
      const op = ops[k];
      if (op === undefined) continue;
      if (op.t !== '+') ca++;
      if (op.t !== '-') cb++;
      body.push(`${op.t}${op.line}`);
    }
    out.push(`@@ -${ca === 0 ? la - 1 : la},${ca} +${cb === 0 ? lb - 1 : lb},${cb} @@`, ...body);
    g = h;
  }
  return out;
}

/**
 * Formats diffs as `argocd app diff` prints them: per modified resource a header
 * `===== <group>/<kind> <namespace>/<name> ======` and a unified diff of the YAML of the normalised
 * live object (`--- live`) against the predicted live object (`+++ desired`). A resource missing
 * live shows all lines added; an extraneous one all lines removed. Secret values are masked.
 * @example
 * process.stdout.write(formatDiffText(resources.map((r) => diffResource(r.desired, r.live))));
 */
export function formatDiffText(
  diffs: readonly ResourceDiff[],
  options: DiffTextOptions = {},
): string {
  const context = options.context ?? 3;
  const out: string[] = [];
  for (const d of diffs) {
    const missing = d.live === undefined;
    const extraneous = d.target === undefined;
    if (!d.modified && !missing && !extraneous && options.includeUnmodified !== true) continue;
    const a = toYaml(d.normalizedLive);
    const b = toYaml(extraneous ? undefined : d.predictedLive);
    if (!d.modified && !missing && !extraneous) {
      out.push(`===== ${d.key.group}/${d.key.kind} ${d.key.namespace}/${d.key.name} ======`);
      continue;
    }
    out.push(`===== ${d.key.group}/${d.key.kind} ${d.key.namespace}/${d.key.name} ======`);
    out.push('--- live', '+++ desired');
    out.push(...unifiedHunks(a, b, context));
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
