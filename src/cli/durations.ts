/** Token lifetimes as Argo CD's CLI takes them: Go durations plus days (`12h`, `7d`, `0s`). */
import { parseDuration } from '../lib/index.js';
import { usageError } from './errors.js';

/** Parses `--expires-in` into whole seconds (0 = never expires). */
export function parseExpiresIn(text: string, flag = '--expires-in'): number {
  const withHours = text
    .trim()
    .replace(/(\d+(?:\.\d+)?)d/g, (_, n: string) => `${Number(n) * 24}h`);
  let ms: number;
  try {
    ms = parseDuration(withHours);
  } catch {
    throw usageError(`invalid ${flag} "${text}": use a duration such as 12h, 7d or 0s (no expiry)`);
  }
  if (ms < 0) throw usageError(`invalid ${flag} "${text}": a lifetime cannot be negative`);
  return Math.round(ms / 1000);
}

/** Formats a Unix time (seconds) as RFC 3339 in UTC; `Never` for 0/absent. */
export function formatUnixTime(seconds: number | undefined): string {
  if (seconds === undefined || seconds === 0) return 'Never';
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
