/**
 * Line diffs in unified format (`diff -u`), written here rather than taken from a package: Myers'
 * O(ND) algorithm over lines after trimming the common prefix and suffix, hunks with three lines
 * of context. Used by `argocd app diff` on YAML renderings with sorted keys (as Argo CD's
 * `sigs.k8s.io/yaml` output is sorted).
 */
import { stringify as stringifyYaml } from 'yaml';
import { isRecord } from '../../lib/index.js';

export type EditOp = ' ' | '-' | '+';
export interface Edit {
  readonly op: EditOp;
  readonly line: string;
}

/** The shortest edit script turning `a` into `b` (Myers, with prefix/suffix trimming). */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Edit[] = a.slice(0, start).map((line) => ({ op: ' ', line }));
  const tail: Edit[] = a.slice(endA).map((line) => ({ op: ' ', line }));
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  return [...head, ...myers(x, y), ...tail];
}

function myers(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((line) => ({ op: '+', line }));
  if (m === 0) return a.map((line) => ({ op: '-', line }));
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let xPos: number;
      if (k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0)))
        xPos = v[offset + k + 1] ?? 0;
      else xPos = (v[offset + k - 1] ?? 0) + 1;
      let yPos = xPos - k;
      while (xPos < n && yPos < m && a[xPos] === b[yPos]) {
        xPos++;
        yPos++;
      }
      next[offset + k] = xPos;
      if (xPos >= n && yPos >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v);
  // backtrack from the end through the saved V arrays
  const edits: Edit[] = [];
  let xPos = n;
  let yPos = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d] ?? new Int32Array(0);
    const k = xPos - yPos;
    let prevK: number;
    if (k === -d || (k !== d && (vd[offset + k - 1] ?? 0) < (vd[offset + k + 1] ?? 0)))
      prevK = k + 1;
    else prevK = k - 1;
    const prevX = d === 0 ? 0 : (vd[offset + prevK] ?? 0);
    const prevY = prevX - prevK;
    while (xPos > prevX && yPos > prevY) {
      edits.push({ op: ' ', line: a[xPos - 1] ?? '' });
      xPos--;
      yPos--;
    }
    if (d === 0) break;
    if (xPos === prevX) edits.push({ op: '+', line: b[yPos - 1] ?? '' });
    else edits.push({ op: '-', line: a[xPos - 1] ?? '' });
    xPos = prevX;
    yPos = prevY;
  }
  while (xPos > 0 && yPos > 0) {
    edits.push({ op: ' ', line: a[xPos - 1] ?? '' });
    xPos--;
    yPos--;
  }
  return edits.reverse();
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface UnifiedDiffOptions {
  readonly oldLabel?: string;
  readonly newLabel?: string;
  /** lines of context around each change; default 3 */
  readonly context?: number;
}

/** A unified diff of two texts; '' when they are equal. */
export function unifiedDiff(
  oldText: string,
  newText: string,
  options: UnifiedDiffOptions = {},
): string {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const edits = diffLines(a, b);
  if (!edits.some((e) => e.op !== ' ')) return '';
  const ctx = options.context ?? 3;
  const out: string[] = [`--- ${options.oldLabel ?? 'a'}`, `+++ ${options.newLabel ?? 'b'}`];
  // positions (1-based line numbers) of each edit in a and b
  const posA: number[] = [];
  const posB: number[] = [];
  let ia = 1;
  let ib = 1;
  for (const e of edits) {
    posA.push(ia);
    posB.push(ib);
    if (e.op !== '+') ia++;
    if (e.op !== '-') ib++;
  }
  let i = 0;
  while (i < edits.length) {
    while (i < edits.length && edits[i]?.op === ' ') i++;
    if (i >= edits.length) break;
    const hunkStart = Math.max(0, i - ctx);
    let end = i;
    // extend while the next change is within 2*ctx lines
    for (;;) {
      while (end < edits.length && edits[end]?.op !== ' ') end++;
      let look = end;
      while (look < edits.length && edits[look]?.op === ' ' && look - end < 2 * ctx) look++;
      if (look < edits.length && edits[look]?.op !== ' ' && look - end <= 2 * ctx) end = look;
      else break;
    }
    const hunkEnd = Math.min(edits.length, end + ctx);
    const slice = edits.slice(hunkStart, hunkEnd);
    const oldCount = slice.filter((e) => e.op !== '+').length;
    const newCount = slice.filter((e) => e.op !== '-').length;
    const oldStart = oldCount === 0 ? (posA[hunkStart] ?? 1) - 1 : (posA[hunkStart] ?? 1);
    const newStart = newCount === 0 ? (posB[hunkStart] ?? 1) - 1 : (posB[hunkStart] ?? 1);
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const e of slice) out.push(`${e.op}${e.line}`);
    i = hunkEnd;
  }
  return `${out.join('\n')}\n`;
}

/** A deep copy with object keys sorted (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}

/** YAML with sorted keys for diffing; '' for null/undefined (an object that does not exist). */
export function toDiffYaml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return stringifyYaml(sortKeys(value), { lineWidth: 0 });
}
