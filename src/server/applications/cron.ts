/**
 * Five-field cron schedules as sync windows use them (robfig/cron's standard parser, which Argo CD
 * calls with Minute | Hour | Dom | Month | Dow): `*`, `?`, lists, ranges, steps (`*\/5`, `1-10/2`,
 * `3/15`), month and weekday names (`JAN`, `mon`), weekday 7 = Sunday. As in cron, when both
 * day-of-month and day-of-week are restricted a day matching either counts; when one is `*` both
 * must match. Times are evaluated in UTC minutes (callers shift for time zones).
 */
import { CodedError } from '../../lib/index.js';

export interface CronSchedule {
  readonly source: string;
  /** whether the minute starting at `ms` (UTC) matches */
  matches(ms: number): boolean;
  /** the first matching minute strictly after `ms`, or undefined within 5 years (none) */
  next(ms: number): number | undefined;
}

interface Field {
  readonly bits: Set<number>;
  /** the field was `*` or `?` (robfig's starBit) */
  readonly star: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const BOUNDS = [
  { name: 'minute', min: 0, max: 59, names: undefined },
  { name: 'hour', min: 0, max: 23, names: undefined },
  { name: 'day of month', min: 1, max: 31, names: undefined },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
] as const;

/** Thrown for a schedule that does not parse (callers turn it into their boundary's error). */
export class CronSyntaxError extends CodedError<'ERR_CRON_SYNTAX'> {
  readonly code = 'ERR_CRON_SYNTAX';
}

function num(text: string, b: (typeof BOUNDS)[number]): number {
  const upper = text.toUpperCase();
  if (b.names) {
    const i = (b.names as readonly string[]).indexOf(upper);
    if (i >= 0) return b.name === 'month' ? i + 1 : i;
  }
  if (!/^\d{1,2}$/.test(text))
    throw new CronSyntaxError(`"${text}" is not a valid ${b.name} value`);
  const n = Number(text);
  if (n < b.min || n > b.max)
    throw new CronSyntaxError(`${b.name} ${n} is outside ${b.min}-${b.max}`);
  return n;
}

function parseField(text: string, b: (typeof BOUNDS)[number]): Field {
  const bits = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    if (part === '') throw new CronSyntaxError(`empty list element in the ${b.name} field`);
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`too many "/" in "${part}"`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = b.min;
      hi = b.max;
      star = true;
    } else if (range.includes('-')) {
      const [a = '', z = '', more] = range.split('-');
      if (more !== undefined) throw new CronSyntaxError(`too many "-" in "${part}"`);
      lo = num(a, b);
      hi = num(z, b);
      if (lo > hi) throw new CronSyntaxError(`range ${lo}-${hi} of ${b.name} is backwards`);
    } else {
      lo = num(range, b);
      hi = stepText === undefined ? lo : b.max;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0)
        throw new CronSyntaxError(`step "${stepText}" of ${b.name} must be a positive number`);
      step = Number(stepText);
    }
    for (let v = lo; v <= hi; v += step) bits.add(b.name === 'day of week' && v === 7 ? 0 : v);
  }
  return { bits, star };
}

const MINUTE = 60_000;
const MAX_SEARCH_MS = 5 * 366 * 24 * 3_600_000;

/**
 * Parses a five-field schedule; throws CronSyntaxError naming the bad field.
 * @example parseCron('0 22 * * 1-5').matches(Date.UTC(2024, 0, 1, 22, 0)) // true (a Monday)
 */
export function parseCron(source: string): CronSchedule {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new CronSyntaxError(
      `"${source.slice(0, 100)}" must have five fields (minute hour day-of-month month day-of-week)`,
    );
  const [mi, ho, dom, mo, dow] = parts.map((p, i) => parseField(p, BOUNDS[i] ?? BOUNDS[0])) as [
    Field,
    Field,
    Field,
    Field,
    Field,
  ];
  const dayMatches = (d: Date): boolean => {
    const domOk = dom.bits.has(d.getUTCDate());
    const dowOk = dow.bits.has(d.getUTCDay());
    return dom.star || dow.star ? domOk && dowOk : domOk || dowOk;
  };
  const matches = (ms: number): boolean => {
    const d = new Date(ms);
    return (
      mo.bits.has(d.getUTCMonth() + 1) &&
      dayMatches(d) &&
      ho.bits.has(d.getUTCHours()) &&
      mi.bits.has(d.getUTCMinutes())
    );
  };
  return {
    source,
    matches,
    next(ms) {
      let t = Math.floor(ms / MINUTE) * MINUTE + MINUTE;
      const limit = ms + MAX_SEARCH_MS;
      while (t <= limit) {
        const d = new Date(t);
        if (!mo.bits.has(d.getUTCMonth() + 1)) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
          continue;
        }
        if (!dayMatches(d)) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
          continue;
        }
        if (!ho.bits.has(d.getUTCHours())) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
          continue;
        }
        if (!mi.bits.has(d.getUTCMinutes())) {
          t += MINUTE;
          continue;
        }
        return t;
      }
      return undefined;
    },
  };
}
