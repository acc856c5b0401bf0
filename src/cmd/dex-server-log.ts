/**
 * argocd-dex-server's logger: pino, with Argo CD's two formats. `json` is one JSON object per line
 * (`{"level":"info","time":"...","msg":"..."}`); `text` is logfmt as logrus prints it
 * (`time="..." level=info msg="..." key=value`).
 */
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/index.js';

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : JSON.stringify(s);
}

/** Turns one pino JSON line into a logfmt line. */
export function toLogfmt(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...rest } = o;
  const parts = [
    `time=${logfmtValue(time ?? '')}`,
    `level=${logfmtValue(level ?? '')}`,
    `msg=${JSON.stringify(typeof msg === 'string' ? msg : '')}`,
  ];
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${logfmtValue(v)}`);
  return `${parts.join(' ')}\n`;
}

/** A logger writing to `out` (stderr by default) in the chosen format. */
export function createLogger(
  level: LogLevel,
  format: LogFormat,
  out: { write(s: string): unknown } = process.stderr,
): Logger {
  return pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    {
      write(line: string) {
        out.write(format === 'json' ? line : toLogfmt(line));
      },
    },
  );
}
