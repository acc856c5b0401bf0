/**
 * Benchmark helpers. Every scenario runs its reference in the same run (raw kube-apiserver
 * throughput, raw bcrypt, raw git, `kubectl kustomize`, an in-process floor), interleaved with the
 * candidate, and reports the ratio beside its target. The last line printed is one JSON object:
 * {"scenario","metric","value","unit","reference","ratio","target","pass"}.
 * These machines are shared and noisy: compare ratios within one run, never absolute times across runs.
 */
import { availableParallelism, loadavg } from 'node:os';

export type Size = 'S' | 'M' | 'L';

export interface BenchContext {
  readonly size: Size;
  /** progress and detail lines (stderr) */
  log(line: string): void;
}

export interface BenchResult {
  readonly scenario: string;
  readonly metric: string;
  /** the candidate's figure, in `unit` */
  readonly value: number;
  readonly unit: string;
  /** the reference's figure in the same unit */
  readonly reference: number;
  /** how the candidate compares: the metric's own ratio definition (documented per scenario) */
  readonly ratio: number;
  /** human-readable target, e.g. ">= 0.7x bare TLS" or "p50 <= 5 ms" */
  readonly target: string;
  readonly pass: boolean;
  /** extra figures printed before the JSON line */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchResult | BenchResult[]>;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx] ?? NaN;
}

export function iqr(xs: readonly number[]): number {
  return percentile(xs, 75) - percentile(xs, 25);
}

/** Milliseconds taken by `fn` (high-resolution). */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Runs reference and candidate alternately `pairs` times (A B A B ...) and returns the per-pair
 * ratios candidate/reference plus both series, so noise hits both sides alike.
 */
export async function interleave(
  pairs: number,
  reference: () => Promise<number>,
  candidate: () => Promise<number>,
): Promise<{ ratios: number[]; reference: number[]; candidate: number[] }> {
  const ratios: number[] = [];
  const ref: number[] = [];
  const cand: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const r = await reference();
    const c = await candidate();
    ref.push(r);
    cand.push(c);
    ratios.push(c / r);
  }
  return { ratios, reference: ref, candidate: cand };
}

/** Machine context printed with every result. */
export function environment(): Record<string, unknown> {
  return {
    nproc: availableParallelism(),
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    node: process.version,
    openssl: process.versions.openssl,
  };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
