/**
 * Go-style durations as Argo CD writes them in ConfigMaps and flags: `24h`, `3m`, `1h30m`, `500ms`,
 * `90s`, `0`. A bare number is refused (Go's time.ParseDuration refuses it too) except `0`.
 */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration into milliseconds; throws a TypeError naming the input when malformed. */
export function parseDuration(input: string): number {
  const text = input.trim();
  if (text === '0' || text === '+0' || text === '-0') return 0;
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '') throw new TypeError(`invalid duration "${input}": expected e.g. 90s, 3m, 24h`);
  let total = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) throw new TypeError(`invalid duration "${input}": expected e.g. 90s, 3m, 24h`);
    const [whole, num, unit] = m as unknown as [string, string, string];
    total += Number(num) * (UNITS[unit] ?? 0);
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a duration (`1h30m0s`, `2m0s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  let out = sign;
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  return out;
}
