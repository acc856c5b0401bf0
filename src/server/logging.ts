/**
 * Logging of the API server: a pino-compatible logger port, the adapters the other folders need
 * (src/kube's `KubeLog`, src/auth's `SecurityLogger`), and `logSecurityEvent`, which writes the
 * `security` (1-5) and `CWE` fields of the security document's table. Every field value that is a
 * string passes `redactText`.
 */
import type { SecurityEvent, SecurityLogger } from '../auth/index.js';
import type { KubeLog } from '../kube/index.js';
import { redactText } from './redact.js';

type LogFn = (obj: Record<string, unknown>, msg: string) => void;

/** The subset of pino the server uses (a pino Logger satisfies it). */
export interface ServerLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** Discards everything. */
export const silentServerLogger: ServerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Security levels (Argo CD `common/common.go`). */
export const Security = Object.freeze({
  LOW: 1,
  MEDIUM: 2,
  HIGH: 3,
  CRITICAL: 4,
  EMERGENCY: 5,
} as const);
export type SecurityLevel = (typeof Security)[keyof typeof Security];

/** CWE numbers the server logs with. */
export const Cwe = Object.freeze({
  /** CWE-285 Improper Authorization: an RBAC denial */
  IMPROPER_AUTHORIZATION: 285,
  /** CWE-287 Improper Authentication: a token refused */
  IMPROPER_AUTHENTICATION: 287,
  /** CWE-307 brute force: lockouts */
  BRUTE_FORCE: 307,
  /** CWE-347 a token with a bad signature or foreign algorithm */
  BAD_SIGNATURE: 347,
  /** CWE-352 cross-site request forgery: the content-type guard */
  CSRF: 352,
  /** CWE-319 cleartext transmission: TLS turned off */
  CLEARTEXT: 319,
} as const);

function clean(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = typeof v === 'string' ? redactText(v) : v;
  return out;
}

/**
 * Writes one security event: level 1 at info, 2-3 at warn, 4-5 at error, with `security` and
 * (when given) `CWE` fields.
 * @example
 * logSecurityEvent(log, { security: Security.MEDIUM, CWE: Cwe.IMPROPER_AUTHORIZATION, msg: 'permission denied', fields: { subject, resource } });
 */
export function logSecurityEvent(
  log: ServerLogger,
  event: {
    readonly security: SecurityLevel;
    readonly CWE?: number;
    readonly msg: string;
    readonly fields?: Readonly<Record<string, unknown>>;
  },
): void {
  const obj: Record<string, unknown> = { ...clean(event.fields ?? {}), security: event.security };
  if (event.CWE !== undefined) obj.CWE = event.CWE;
  const msg = redactText(event.msg);
  if (event.security >= 4) log.error(obj, msg);
  else if (event.security >= 2) log.warn(obj, msg);
  else log.info(obj, msg);
}

/** src/auth's SecurityLogger writing through `log`. */
export function authSecurityLogger(log: ServerLogger): SecurityLogger {
  return {
    log(event: SecurityEvent): void {
      logSecurityEvent(log, {
        security: event.security,
        ...(event.CWE !== undefined ? { CWE: event.CWE } : {}),
        msg: event.message,
        fields: { event: event.event, ...(event.fields ?? {}) },
      });
    },
  };
}

/** src/kube's KubeLog writing through `log`. */
export function kubeLogger(log: ServerLogger): KubeLog {
  return (level, message, fields) => {
    log[level](clean(fields ?? {}), message);
  };
}
